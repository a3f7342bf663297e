import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUDIT_EVENT_TYPES,
  auditTypeOf,
  EVENT_HOOK_ELIGIBLE_TYPES,
  LOG_EVENT_TYPE_CATALOGUE,
  logEventTypeOf,
  MAILROUTE_EVENT_PREFIX,
} from '../src/schemas/event-types.ts';

describe('the event type catalogue', () => {
  it('names every audit type, each recorded as a catalogued event type and read back as itself', () => {
    for (const auditType of AUDIT_EVENT_TYPES) {
      const eventType = logEventTypeOf(auditType);
      assert.ok(eventType in LOG_EVENT_TYPE_CATALOGUE, `${auditType} → ${eventType} is not catalogued`);
      assert.equal(auditTypeOf(eventType), auditType);
    }
  });

  it("keeps mailroute's own events out of Okta's namespaces", () => {
    const okta = ['system.', 'event_hook.'];
    for (const eventType of Object.keys(LOG_EVENT_TYPE_CATALOGUE)) {
      assert.ok(
        eventType.startsWith(MAILROUTE_EVENT_PREFIX) || okta.some((prefix) => eventType.startsWith(prefix)),
        eventType,
      );
    }
  });

  it('offers hooks the email server lifecycle, delivery and health events, and not audit noise', () => {
    assert.ok(EVENT_HOOK_ELIGIBLE_TYPES.includes('system.email.delivery'));
    assert.ok(EVENT_HOOK_ELIGIBLE_TYPES.includes('mailroute.email_server.health.failing'));
    assert.ok(!EVENT_HOOK_ELIGIBLE_TYPES.includes('mailroute.sign_in.failure'));
    assert.ok(!EVENT_HOOK_ELIGIBLE_TYPES.includes('event_hook.created'));
  });
});
