import { type CheckDeps, runServerCheck } from '../smtp/check/run-check.ts';
import type { ProbeResult, ServerProbe } from './server-health.ts';

/**
 * A health probe is the full server check without addresses (DNS, connect, TLS, EHLO, sign-in,
 * QUIT; no mail), so a probe, `/check` and the admin's report never disagree, and its advisories
 * (a lapsing certificate, basic auth being retired) count toward health.
 */
export function createCheckProbe(engine: CheckDeps): ServerProbe {
  return async (server): Promise<ProbeResult> => {
    const report = await runServerCheck({ server }, engine);
    const advisories = report.advisories.map(({ code, severity }) => ({ code, severity }));
    if (report.outcome === 'passed') return { ok: true, advisories };
    return {
      ok: false,
      stage: report.failure?.stage ?? 'connect',
      reply: report.failure?.reply?.text ?? null,
      hint: report.failure?.hint ?? null,
      advisories,
    };
  };
}
