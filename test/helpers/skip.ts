import { describe, it } from 'node:test';

/**
 * describe(), or when the suite cannot run here one skipped test that gives the reason: node:test
 * counts skipped tests in its summary but not skipped suites, so a plain `{ skip }` reads as 0.
 */
export function describeUnless(skipReason: string | false | undefined, name: string, fn: () => void): void {
  if (skipReason) {
    describe(name, () => {
      it('every test of this suite', { skip: skipReason }, () => {});
    });
  } else {
    describe(name, fn);
  }
}
