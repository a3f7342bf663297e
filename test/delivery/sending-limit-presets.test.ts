import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveSendingLimits, presetForHost } from '../../src/schemas/sending-limit-presets.ts';

describe('sending limit presets: chosen by host alone', () => {
  const cases: Array<[string, string | undefined]> = [
    ['smtp.office365.com', 'microsoft365'],
    ['SMTP.Office365.com.', 'microsoft365'],
    ['smtp-mail.outlook.com', 'microsoft365'],
    ['smtp.gmail.com', 'gmail'],
    ['smtp-relay.gmail.com', 'gmail-relay'],
    ['email-smtp.eu-west-1.amazonaws.com', 'amazon-ses'],
    ['email-smtp.us-east-1.amazonaws.com', 'amazon-ses'],
    // One label for the region, no more, no less.
    ['email-smtp.amazonaws.com', undefined],
    ['email-smtp.a.b.amazonaws.com', undefined],
    ['evil-smtp.office365.com.example.net', undefined],
    ['office365.com', undefined],
    ['smtp.example.com', undefined],
    ['127.0.0.1', undefined],
  ];
  for (const [host, preset] of cases) {
    it(`${host} → ${preset ?? 'no preset'}`, () => {
      assert.equal(presetForHost(host)?.name, preset);
    });
  }

  it('Microsoft 365: 3 connections, 30 a minute, 10,000 a day', () => {
    assert.deepEqual(effectiveSendingLimits({ host: 'smtp.office365.com' }), {
      maxConnections: 3,
      messagesPerMinute: 30,
      messagesPerDay: 10_000,
      source: 'preset:microsoft365',
    });
  });

  it("the server's own limits win over the preset; none set and no preset: none", () => {
    assert.deepEqual(effectiveSendingLimits({ host: 'smtp.office365.com', sendingLimits: { messagesPerMinute: 5 } }), {
      messagesPerMinute: 5,
      source: 'server',
    });
    assert.equal(effectiveSendingLimits({ host: 'smtp.example.com', sendingLimits: null }), undefined);
    assert.deepEqual(effectiveSendingLimits({ host: 'smtp.gmail.com', sendingLimits: {} }), {
      messagesPerDay: 2_000,
      source: 'preset:gmail',
    });
  });
});
