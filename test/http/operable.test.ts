import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { declarationOf, SETTINGS, type SettingName } from '../../src/config.ts';
import { ERROR_TABLE } from '../../src/http/error-table.ts';
import { REPO_ROOT } from '../cli/run-cli.ts';
import { request, startTestApp, type TestApp } from '../helpers/app.ts';

const OPERATIONS: Record<string, [string, string]> = {
  listEmailServers: ['get', '/api/v1/email-servers'],
  createEmailServer: ['post', '/api/v1/email-servers'],
  getEmailServer: ['get', '/api/v1/email-servers/{emailServerId}'],
  updateEmailServer: ['patch', '/api/v1/email-servers/{emailServerId}'],
  deleteEmailServer: ['delete', '/api/v1/email-servers/{emailServerId}'],
};

/** The error codes listed in the README's "Errors" section (its table's first column). */
function readmeErrorCodes(): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.search(/^## Errors\b/m);
  assert.ok(start >= 0, 'README.md has no "## Errors" section');
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end >= 0 ? rest.slice(0, end) : rest;
  return [...section.matchAll(/^\|\s*`?(E\d{7})`?\s*\|/gm)].map((m) => m[1]);
}

describe('operable: OpenAPI, docs, health, logs, the error list', () => {
  let t: TestApp;
  let document: any;
  before(async () => {
    t = await startTestApp();
    const res = await request(`${t.url}/openapi.json`);
    assert.equal(res.status, 200);
    document = res.body;
  });
  after(() => t.close());

  it('/openapi.json is a valid OpenAPI 3 document', async () => {
    assert.match(document.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(document));
  });

  it('lists the five operations with their operationIds, Okta error responses, and no readable password', () => {
    for (const [operationId, [method, route]] of Object.entries(OPERATIONS)) {
      const operation = document.paths?.[route]?.[method];
      assert.ok(operation, `${method.toUpperCase()} ${route} missing`);
      assert.equal(operation.operationId, operationId);
      const success = method === 'post' ? '201' : method === 'delete' ? '204' : '200';
      assert.ok(operation.responses[success], `${operationId}: no ${success} response`);
      const errorStatuses = Object.keys(operation.responses).filter((s) => s.startsWith('4'));
      assert.ok(errorStatuses.includes('403'), `${operationId}: 403 not documented`);
      for (const status of errorStatuses) {
        const schema = operation.responses[status].content['application/json'].schema;
        assert.deepEqual(
          Object.keys(schema.properties ?? {}).sort(),
          ['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary'],
          `${operationId} ${status}`,
        );
      }
      const successSchema = JSON.stringify(operation.responses[success]);
      assert.ok(!successSchema.includes('"password"'), `${operationId} documents a password in its response`);
    }
    const createBody = document.paths['/api/v1/email-servers'].post.requestBody.content['application/json'].schema;
    // password is required for BASIC_SMTP_AUTH (the default) by the domain, since OAuth servers have none.
    for (const field of ['alias', 'host', 'port', 'username'])
      assert.ok(createBody.required.includes(field), `${field} not required`);
    assert.equal(createBody.properties.password.writeOnly, true);
    assert.equal(createBody.properties.port.minimum, 1);
    assert.equal(createBody.properties.port.maximum, 65535);
  });

  it('/docs serves an HTML page', async () => {
    const res = await fetch(`${t.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /<html/i);
  });

  it('/healthz and /readyz answer without credentials', async () => {
    const health = await request(`${t.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await request(`${t.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.store, t.store.kind);
  });

  it('tolerates duplicate slashes (the Node SDK sends //api/v1/... when its org URL ends in /)', async () => {
    for (const pathname of ['//api/v1/email-servers', '/api//v1//email-servers', '///api/v1/email-servers/']) {
      const res = await t.api(pathname);
      assert.equal(res.status, 200, `${pathname}: ${res.text}`);
      assert.deepEqual(res.body, { 'email-servers': [] });
    }
  });

  it('logs structured JSON lines carrying the request id of each response', async () => {
    const res = await t.api('/api/v1/email-servers/cesNotThere000000000');
    const requestId = res.headers.get('x-okta-request-id');
    const lines = t.logs.map((l) => JSON.parse(l)).filter((l) => l.reqId === requestId);
    assert.equal(lines.length, 1, `expected one line for request ${requestId}`);
    assert.equal(lines[0].res?.statusCode, 404);
    assert.equal(lines[0].req?.method, 'GET');
    assert.equal(lines[0].req?.url, '/api/v1/email-servers/cesNotThere000000000');
    assert.ok(!t.logs.join('\n').includes(t.token));
  });

  it('the error table, the OpenAPI description and the README list the same error codes', () => {
    const tableCodes = [...new Set(Object.values(ERROR_TABLE).map((e) => e.errorCode))].sort();
    const readmeCodes = [...new Set(readmeErrorCodes())].sort();
    assert.deepEqual(
      readmeCodes,
      tableCodes,
      'README "## Errors" table and src/http/error-table.ts differ: add new error codes to that README table',
    );
    const openApiCodes = [...new Set(String(document.info.description).match(/E\d{7}/g) ?? [])].sort();
    assert.deepEqual(openApiCodes, tableCodes, 'OpenAPI description and src/http/error-table.ts differ');
    for (const entry of Object.values(ERROR_TABLE)) {
      assert.ok(
        String(document.info.description).includes(`| ${entry.errorCode} | ${entry.status} |`),
        `${entry.errorCode}/${entry.status} not in OpenAPI`,
      );
    }
  });
});

interface SettingRow {
  section: string;
  names: string[];
  defaultCell: string;
}

/** Every row of the README's `| variable | default | ... |` tables, with the `## ` section it sits in. */
function readmeSettingRows(): SettingRow[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const rows: SettingRow[] = [];
  let section = '';
  let inTable = false;
  for (const line of readme.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (/^\|\s*variable\s*\|\s*default\s*\|/.test(line)) {
      inTable = true;
      continue;
    }
    if (!line.startsWith('|')) inTable = false;
    if (!inTable || /^\|\s*-/.test(line)) continue;
    const [names, defaultCell = ''] = line.split('|').slice(1);
    rows.push({
      section,
      names: [...names.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
      defaultCell: defaultCell.trim(),
    });
  }
  return rows;
}

/** A documented default such as `HOST:PORT`, `DATA_DIR/...` or `<issuer>/...` stands for a computed value. */
const PLACEHOLDER = /\b[A-Z][A-Z_]{2,}\b|<[^>]+>/;

describe('the README documents every setting', () => {
  const rows = readmeSettingRows();
  const declared = Object.keys(SETTINGS.properties) as SettingName[];

  it('lists each declared variable in its "## Configuration" table, and no other', () => {
    const documented = new Set(rows.filter((row) => row.section === 'Configuration').flatMap((row) => row.names));
    assert.ok(declared.includes('PORT') && declared.includes('MAILROUTE_RESPONSE_SHAPE'), declared.join(', '));
    assert.deepEqual(
      declared.filter((name) => !documented.has(name)),
      [],
      'settings declared in the config schema but missing from the README "## Configuration" table',
    );
    assert.deepEqual(
      [...documented].filter((name) => !(declared as string[]).includes(name)),
      [],
      'variables the README documents but the config schema does not declare',
    );
  });

  it('shows the declared default wherever a table gives one variable a default', () => {
    const mismatches: string[] = [];
    const shown = new Set<string>();
    for (const row of rows.filter((r) => r.names.length === 1)) {
      const [name] = row.names;
      if (!(declared as string[]).includes(name)) continue;
      const fallback = declarationOf(name as SettingName).default;
      const literal = /^`([^`]*)`/.exec(row.defaultCell)?.[1];
      if (fallback === undefined) {
        if (literal !== undefined && !PLACEHOLDER.test(literal)) {
          mismatches.push(`${name}: README says \`${literal}\`, the schema declares no default`);
        }
      } else if (literal !== String(fallback)) {
        mismatches.push(`${name}: README says ${row.defaultCell}, the schema declares \`${fallback}\``);
      } else {
        shown.add(name);
      }
    }
    assert.deepEqual(mismatches, []);
    // Variables documented only in a grouped row still need their default in some table.
    const unshown = declared.filter((name) => declarationOf(name).default !== undefined && !shown.has(name));
    assert.deepEqual(unshown, [], 'settings whose declared default no README table shows');
  });
});

describe('readiness follows the store', () => {
  it('/readyz answers 503 once the store is gone while /healthz stays 200', async () => {
    const t = await startTestApp();
    try {
      await t.store.close();
      const ready = await request(`${t.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'unavailable');
      assert.equal((await request(`${t.url}/healthz`)).status, 200);
    } finally {
      await t.app.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});
