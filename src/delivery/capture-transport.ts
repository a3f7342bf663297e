import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { DeliveryTransport } from './delivery-transport.ts';

/**
 * The embedded default with no default SMTP server: each message becomes `<Message-ID>.eml` in the
 * capture directory, so `npm start` delivers end to end with nothing else running. Written to a
 * temporary name and renamed, so a reader never sees half a message.
 */
export function createCaptureTransport(captureDir: string): DeliveryTransport {
  fs.mkdirSync(captureDir, { recursive: true, mode: 0o700 });
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    server: 'capture',
    async send(mail) {
      const info = await transporter.sendMail({ ...mail, headers: { 'Auto-Submitted': 'auto-generated' } });
      const name = `${mail.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`;
      const file = path.join(captureDir, name);
      const temporary = `${file}.${process.pid}.tmp`;
      await fs.promises.writeFile(temporary, info.message as Buffer, { mode: 0o600 });
      await fs.promises.rename(temporary, file);
      return { response: `250 captured to ${name}` };
    },
    close: () => transporter.close(),
  };
}
