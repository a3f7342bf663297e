import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_TEMPLATES } from '../../src/delivery/builtin-templates.ts';
import { renderTemplate, type TemplateSource, urlVariables } from '../../src/delivery/templates.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { type DeliveryTestApp, startDeliveryApp } from './delivery-helpers.ts';

// Template variables are caller input: a URL variable decides where a link goes, and a text
// variable must not add lines the template does not have.

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const welcome = BUILTIN_TEMPLATES.welcome.get('default')!;
const variables = (extra: Record<string, string> = {}) => ({
  firstName: 'Ada',
  orgName: 'Example',
  loginUrl: 'https://login.example.com/',
  ...extra,
});

const NOT_WEB_URLS = [
  'javascript:alert(document.domain)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'mailto:attacker@example.com',
  'file:///etc/passwd',
  '//evil.example/login',
  '/relative/login',
  'https://',
  'https://login.example.com/\u0000',
];
const LINE_BREAKS: Array<[string, string]> = [
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['CR', '\r'],
  ['LINE SEPARATOR', '\u2028'],
  ['PARAGRAPH SEPARATOR', '\u2029'],
  ['NEL', '\u0085'],
  ['a vertical tab', '\u000b'],
  ['a form feed', '\u000c'],
  ['three LFs', '\n\n\n'],
];

describe('template variables: URL variables and line breaks', () => {
  it('treats placeholders that begin a URL attribute as URL variables, and no others', () => {
    assert.deepEqual(urlVariables(welcome), ['loginUrl']);
    assert.deepEqual(urlVariables(BUILTIN_TEMPLATES['account-recovery'].get('default')!), ['recoveryUrl']);
    const operator: TemplateSource = {
      subject: '{{title}}',
      text: '{{note}} {{link}}',
      html: `<a href={{link}}>x</a><img SRC = '{{logo}}'><form action="{{target}}"></form><a href="https://example.com/?t={{token}}">{{note}}</a>`,
    };
    assert.deepEqual(urlVariables(operator), ['link', 'logo', 'target']);
  });

  for (const value of NOT_WEB_URLS) {
    it(`refuses ${JSON.stringify(value)} as a URL variable, naming it`, () => {
      const result = renderTemplate(welcome, variables({ loginUrl: value }));
      assert.deepEqual(result, {
        ok: false,
        problems: [{ variable: 'loginUrl', message: 'The field must be an http or https URL' }],
      });
    });
  }

  it('accepts http and https URLs and puts them in the link unchanged (HTML-escaped)', () => {
    for (const loginUrl of ['https://login.example.com/a?b=1&c=2#x', 'http://10.0.0.5:8080/sign-in']) {
      const result = renderTemplate(welcome, variables({ loginUrl }));
      assert.ok(result.ok);
      assert.ok(result.message.html.includes(`href="${loginUrl.replace(/&/g, '&amp;')}"`), loginUrl);
      assert.ok(result.message.text.includes(`\n${loginUrl}\n`), loginUrl);
    }
  });

  for (const [name, lineBreak] of LINE_BREAKS) {
    it(`a text variable with ${name} starts no new line in the text part or the subject`, () => {
      const forged = `Ada${lineBreak}Your account is locked. Call +1 555 0100 now.`;
      const result = renderTemplate(welcome, variables({ firstName: forged, orgName: `Example${lineBreak}Bcc: x` }));
      assert.ok(result.ok);
      const lines = (text: string) => text.split(/\r\n|[\r\n\u000b\u000c\u0085\u2028\u2029]/);
      assert.equal(lines(result.message.text).length, lines(welcome.text).length);
      assert.ok(lines(result.message.text).includes('Hello Ada Your account is locked. Call +1 555 0100 now.,'));
      assert.equal(lines(result.message.subject).length, 1);
      assert.equal(result.message.subject, 'Welcome to Example Bcc: x');
    });
  }

  it('reports blank and non-URL variables together', () => {
    const result = renderTemplate(welcome, { firstName: ' ', orgName: 'Example', loginUrl: 'javascript:x' });
    assert.deepEqual(result, {
      ok: false,
      problems: [
        { variable: 'firstName', message: 'The field cannot be left blank' },
        { variable: 'loginUrl', message: 'The field must be an http or https URL' },
      ],
    });
  });
});

describe('template variables over the API, delivered to a real SMTP server', () => {
  let sink: TestSmtpServer;
  let t: DeliveryTestApp;
  before(async () => {
    sink = await startSmtpServer({ tls: 'none' });
    t = await startDeliveryApp({ MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none` });
  });
  after(async () => {
    await t.close();
    await sink.close();
  });

  it('refuses a javascript: URL variable with E0000001 naming it, and queues nothing', async () => {
    const res = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: { template: 'welcome', recipient: 'ada@example.com', variables: variables({ loginUrl: 'javascript:x' }) },
    });
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000001',
      causes: ['variables.loginUrl: The field must be an http or https URL'],
    });
    assert.deepEqual((await t.api(NOTIFICATIONS)).body, []);
  });

  it('delivers a text part in which a variable with line breaks forged no line', async () => {
    const res = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: {
        template: 'welcome',
        recipient: 'ada@example.com',
        variables: variables({ firstName: 'Ada\r\n\r\nYour account is locked. Call +1 555 0100.' }),
      },
    });
    assert.equal(res.status, 202, res.text);
    const [received] = await sink.waitForMessages(1, 20_000);
    const text = received.parsed.text ?? '';
    assert.match(text, /^Hello Ada Your account is locked\. Call \+1 555 0100\.,$/m);
    assert.doesNotMatch(text, /^Your account is locked/m);
  });
});
