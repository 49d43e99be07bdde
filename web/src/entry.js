// entry.js — mounts ODK Web Forms (@getodk/web-forms, ODK's own renderer and engine) on the
// XForm named by ?form=URL — with ?instance=URL, a stored instance to correct (edit mode: the
// engine gives the new version a new instanceID and the old one as deprecatedID; the form's
// media files, jr://file-csv/NAME, are read from FORM_URL/NAME as pinggu serve names them) —
// and posts each submission to ?submit=URL as OpenRosa does: a
// multipart body with xml_submission_file and the attachments, the CSRF token (?csrf= or the
// <meta name="csrf-token"> the server writes) in X-CSRF-Token. The page holds no rule: what is
// relevant, required or wrong is the engine's reading of the XForm, and the server validates
// the submission again (src/survey/submission.c, validate.c).
import { createApp, h } from 'vue';
import { OdkWebForm, webFormsPlugin } from '@getodk/web-forms';

const params = new URLSearchParams(location.search);
const formUrl = params.get('form');
const submitUrl = params.get('submit');
const instanceUrl = params.get('instance');
const status = document.getElementById('status');
const csrf = params.get('csrf') ?? document.querySelector('meta[name="csrf-token"]')?.content ?? '';

function say(zh, en) {
  status.textContent = `${zh} / ${en}`;
}

async function main() {
  if (!formUrl || !submitUrl) {
    say('缺少表单或提交地址', 'missing ?form= or ?submit=');
    return;
  }
  const res = await fetch(formUrl, { credentials: 'same-origin' });
  if (!res.ok) {
    say(`表单读取失败（${res.status}）`, `could not load the form (${res.status})`);
    return;
  }
  const formXml = await res.text();
  const app = createApp({
    render: () => h(OdkWebForm, {
      formXml,
      fetchFormAttachment: (url) => {
        const m = /^jr:\/\/file(?:-csv)?\/(.+)$/.exec(String(url));
        return fetch(m ? `${formUrl}/${m[1]}` : url, { credentials: 'same-origin' });
      },
      ...(instanceUrl ? {
        editInstance: {
          resolveInstance: async () => {
            const r = await fetch(instanceUrl, { credentials: 'same-origin' });
            if (!r.ok) throw new Error(`instance ${r.status}`);
            return r.text();
          },
          attachmentFileNames: [],
          resolveAttachment: async () => { throw new Error('no attachments'); },
        },
      } : {}),
      onSubmit: async (payload, callback) => {
        const body = new FormData();
        for (const [name, value] of payload.data[0].entries()) body.append(name, value);
        const r = await fetch(submitUrl, {
          method: 'POST',
          body,
          credentials: 'same-origin',
          headers: { 'X-OpenRosa-Version': '1.0', 'X-CSRF-Token': csrf },
        });
        if (r.ok) {
          say('已提交', 'submitted');
          callback?.({ status: 'success' });
        } else {
          say(`提交未被接受（${r.status}）：${await r.text()}`, `not accepted (${r.status})`);
          callback?.({ status: 'failure' });
        }
      },
    }),
  });
  app.use(webFormsPlugin);
  app.mount('#app');
}

main();
