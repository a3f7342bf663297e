import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { LOG_REDACTIONS, lazyChildLogger } from '../../src/http/logging.ts';

describe('service logging', () => {
  it("a request's logger becomes a real child on its first line, with the request's id", () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')));
        done();
      },
    });
    const parent = pino({ level: 'info', redact: LOG_REDACTIONS }, sink) as FastifyBaseLogger;
    let children = 0;
    const child = parent.child.bind(parent);
    parent.child = (bindings, options) => {
      children++;
      return child(bindings, options);
    };

    const unused = lazyChildLogger(parent, { reqId: 'r1' }, {});
    assert.equal(unused.level, 'info');
    assert.equal(children, 0);

    const used = lazyChildLogger(parent, { reqId: 'r2' }, {});
    used.debug('below the level');
    used.info({ server: { password: 'hunter2' } }, 'first');
    used.warn('second');
    assert.equal(children, 1);
    assert.deepEqual(
      lines.map((line) => [line.reqId, line.msg]),
      [
        ['r2', 'first'],
        ['r2', 'second'],
      ],
    );
    assert.deepEqual(lines[0].server, { password: '[Redacted]' });
  });

  it('a process that exits right after logging still writes every line', () => {
    const script = [
      "import { createServiceLogger } from './src/http/logging.ts';",
      "const log = createServiceLogger('info');",
      "for (let i = 0; i < 2000; i++) log.info({ i, password: 'hunter2', server: { password: 'hunter2' } }, 'line');",
      'process.exit(0);',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(lines.length, 2000);
    assert.deepEqual(lines.at(-1).i, 1999);
    assert.ok(!output.includes('hunter2'), 'a secret field was written, at the top or one level down');
  });
});
