// serve-static.mjs — for the browser test only: serves web/dist and one XForm on a loopback
// port, and keeps what the page posts to /submit (the OpenRosa multipart body) so the test can
// hand the instance to pinggu. Not the product's server (that is pinggu serve).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

export function startStatic(distDir, formXml) {
  const received = [];
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.xml': 'text/xml; charset=utf-8' };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/submit') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const request = new Request('http://127.0.0.1/submit', { method: 'POST', headers: req.headers, body: Buffer.concat(chunks) });
      const form = await request.formData();
      const xml = form.get('xml_submission_file');
      received.push({ headers: req.headers, xml: xml ? await xml.text() : null, names: [...form.keys()] });
      res.writeHead(201, { 'Content-Type': 'text/xml' });
      res.end('<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message>ok</message></OpenRosaResponse>');
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === '/forms/form.xml') {
      res.writeHead(200, { 'Content-Type': types['.xml'] });
      res.end(formXml);
      return;
    }
    const file = path.join(distDir, path.normalize(url.pathname).replace(/^\/+/, ''));
    if (!file.startsWith(distDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, received })));
}
