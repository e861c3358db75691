// The certificate dialog: how a message was protected, built only from the verified
// `certificate` the service hands over (nothing here is guessed from the summary).
import type { MessageCertificate } from '../../../../shared/ipc/contract.js';
import { LEVEL_LABELS } from '../../ui/format.js';
import { ModalDialog } from '../../ui/ModalDialog.js';

export function CertificateDialog({ certificate, open, onClose }: { certificate: MessageCertificate; open: boolean; onClose(): void }) {
  const c = certificate;
  const checked = c.servers.some((s) => s.ok !== undefined);
  return (
    <ModalDialog open={open} onClose={onClose} title="Security certificate" closeLabel="Close the certificate" className="certificate">
      <dl className="cert">
        <div>
          <dt>Level</dt>
          <dd>
            {c.level} — {LEVEL_LABELS[c.level].long}
            {c.quantumSecured && <span className="badge quantum">Quantum Secured</span>}
          </dd>
        </div>
        {c.fallback && (
          <div>
            <dt>Fallback</dt>
            <dd className="warn">
              {c.fallback.from} was asked for; sent at {c.level} because {c.fallback.reason}
            </dd>
          </div>
        )}
        <div>
          <dt>Key capsule</dt>
          <dd className="mono">{c.algorithms.capsule}</dd>
        </div>
        <div>
          <dt>Stripes</dt>
          <dd className="mono">{c.algorithms.stripes}</dd>
        </div>
        <div>
          <dt>Signature</dt>
          <dd>
            <span className="mono">{c.algorithms.signature}</span>{' '}
            {c.direction === 'sent' ? (
              <span className="badge">signed by this device</span>
            ) : c.signatureVerified ? (
              <span className="badge ok">✓ verified</span>
            ) : (
              <span className="badge bad">not verified</span>
            )}
          </dd>
        </div>
        <div>
          <dt>{c.direction === 'sent' ? 'Your fingerprint' : 'Sender fingerprint'}</dt>
          <dd className="mono">{c.senderFingerprint}</dd>
        </div>
        {c.qkd?.map((q, i) => (
          <div key={i}>
            <dt>QKD keys{q.recipient ? ` for ${q.recipient}` : ''}</dt>
            <dd>
              <ul className="key-ids" aria-label={`Key IDs${q.recipient ? ` for ${q.recipient}` : ''}`}>
                {q.keys.map((k) => (
                  <li key={k.keyId}>
                    <span className="mono">{k.keyId}</span> <span className="muted small">from KME {k.kmeId}</span>
                  </li>
                ))}
              </ul>
              <span className="small">
                KME IDs:{' '}
                {q.kmeIds.map((id) => (
                  <span key={id} className="mono">
                    {id}{' '}
                  </span>
                ))}
              </span>
            </dd>
          </div>
        ))}
        <div>
          <dt>Stripe layout</dt>
          <dd>
            {c.stripes.k} data + {c.stripes.p} parity
          </dd>
        </div>
      </dl>
      <table className="server-table">
        <caption>Servers that held the stripes</caption>
        <thead>
          <tr>
            <th scope="col">Stripe</th>
            <th scope="col">Server</th>
            {checked && <th scope="col">State</th>}
          </tr>
        </thead>
        <tbody>
          {c.servers.map((s) => (
            <tr key={`${s.stripe}-${s.host}-${s.port}`}>
              <td>{s.stripe + 1}</td>
              <td className="mono">
                {s.host}:{s.port}
              </td>
              {checked && <td>{s.ok === false ? 'missing or damaged: rebuilt from parity' : s.ok ? 'intact' : '—'}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </ModalDialog>
  );
}
