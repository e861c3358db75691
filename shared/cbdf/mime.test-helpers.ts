// A small multipart/alternative builder, as an ordinary mailer would produce: headers,
// a quoted-printable text/plain part and a quoted-printable text/html part.
const enc = new TextEncoder();

export function quotedPrintable(text: string): string {
  const bytes = enc.encode(text.replace(/\r?\n/g, '\n'));
  const lines: string[] = [];
  let line = '';
  const push = (tok: string) => {
    if (line.length + tok.length > 75) {
      lines.push(line + '=');
      line = '';
    }
    line += tok;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      if (line.endsWith(' ') || line.endsWith('\t')) {
        const last = line.charCodeAt(line.length - 1);
        line = line.slice(0, -1) + '=' + last.toString(16).toUpperCase().padStart(2, '0');
      }
      lines.push(line);
      line = '';
      continue;
    }
    const printable = (b >= 33 && b <= 126 && b !== 61) || b === 32 || b === 9;
    push(printable ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0'));
  }
  lines.push(line);
  return lines.join('\r\n');
}

export function buildMime(opts: { subject: string; html: string; text: string; date: Date; boundary: string }): string {
  const h = [
    'From: Alice Example <alice@example.com>',
    'To: Bob Example <bob@example.org>',
    `Subject: ${opts.subject.replace(/[^\x20-\x7e]/g, '?')}`,
    `Date: ${opts.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${opts.boundary}@example.com>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${opts.boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${opts.boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(body),
    ].join('\r\n');
  return [...h, '', part('text/plain', opts.text), part('text/html', opts.html), `--${opts.boundary}--`, ''].join('\r\n');
}
