// A message over the SMTP server's size limit is the user's to fix, said plainly: the SIZE the
// server states in its EHLO answer (RFC 1870) refuses it before MAIL FROM, and a 552 answer
// to the message does the same. A small scripted server on loopback stands in for Postfix.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendRaw } from './send.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** An SMTP server without TLS: EHLO with `size`, AUTH PLAIN accepted, the DATA answered with `dataReply`. */
async function smtp(size: number, dataReply = '250 2.0.0 queued'): Promise<{ port: number; commands: string[] }> {
  const commands: string[] = [];
  const server = createServer((sock) => {
    let inData = false;
    let buf = '';
    sock.write('220 test ESMTP\r\n');
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            sock.write(`${dataReply}\r\n`);
          }
          continue;
        }
        commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') sock.write(`250-test\r\n250-SIZE ${size}\r\n250 AUTH PLAIN\r\n`);
        else if (verb === 'AUTH') sock.write('235 2.7.0 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          sock.write('354 go on\r\n');
        } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('250 ok\r\n');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, commands };
}

const message = (bytes: number) => Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(bytes)}\r\n`);
const auth = { user: 'me', pass: 'pw' };

describe('sending a message over the server’s size limit', () => {
  it('the SIZE in EHLO refuses it before MAIL FROM, as invalid_input naming both sizes', async () => {
    const s = await smtp(1024 * 1024);
    const err = await sendRaw(
      { host: '127.0.0.1', port: s.port, tls: 'none' },
      auth,
      { from: 'me@a', to: ['you@b'] },
      message(1_200_000),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/message is 1\.1 MB .*127\.0\.0\.1 takes at most 1\.0 MB/),
    });
    expect(s.commands.some((c) => c.startsWith('MAIL FROM'))).toBe(false);
  });

  it('a 552 answer to the message is invalid_input too; a message within the limit goes with its SIZE', async () => {
    const refusing = await smtp(10 * 1024 * 1024, '552 5.3.4 Message size exceeds fixed limit');
    const err = await sendRaw(
      { host: '127.0.0.1', port: refusing.port, tls: 'none' },
      auth,
      { from: 'me@a', to: ['you@b'] },
      message(2000),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/message is 0\.0 MB .*127\.0\.0\.1 refused it as too large/),
    });
    const fine = await smtp(10 * 1024 * 1024);
    const raw = message(2000);
    await sendRaw({ host: '127.0.0.1', port: fine.port, tls: 'none' }, auth, { from: 'me@a', to: ['you@b'] }, raw);
    expect(fine.commands.find((c) => c.startsWith('MAIL FROM'))).toMatch(new RegExp(`SIZE=${raw.length}`));
  });
});
