import dns2 from 'dns2';

const { Packet } = dns2;
// The package's type declarations leave out response codes and plain answer records.
const NXDOMAIN = 3;
type Answer = Parameters<InstanceType<typeof Packet>['answers']['push']>[0];

/** Records by name (lower case, no trailing dot). */
export interface TestZone {
  [name: string]: { A?: string[]; AAAA?: string[]; TXT?: string[] };
}

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, as MAILROUTE_DNS_SERVERS takes it. */
  server: string;
  zone: TestZone;
  /** Every question asked, as `TYPE name`. */
  questions: string[];
  close(): Promise<void>;
}

const TYPE_NAMES: Record<number, string> = {
  [Packet.TYPE.A]: 'A',
  [Packet.TYPE.AAAA]: 'AAAA',
  [Packet.TYPE.TXT]: 'TXT',
};

/** A real DNS server (dns2, UDP) on 127.0.0.1 answering from `zone`; other names are NXDOMAIN. */
export async function startDnsServer(zone: TestZone): Promise<TestDnsServer> {
  const questions: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = question.name.toLowerCase().replace(/\.$/, '');
      const type = TYPE_NAMES[question.type] ?? String(question.type);
      questions.push(`${type} ${name}`);
      const records = zone[name];
      if (!records) {
        response.header.rcode = NXDOMAIN;
        return send(response);
      }
      const base = { name: question.name, class: Packet.CLASS.IN, ttl: 1 };
      const answer = (record: object) => response.answers.push({ ...base, ...record } as unknown as Answer);
      if (type === 'A') for (const address of records.A ?? []) answer({ type: Packet.TYPE.A, address });
      if (type === 'AAAA') for (const address of records.AAAA ?? []) answer({ type: Packet.TYPE.AAAA, address });
      if (type === 'TXT') for (const data of records.TXT ?? []) answer({ type: Packet.TYPE.TXT, data });
      send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } } as never);
  const port = (addresses as { udp: { port: number } }).udp.port;
  return {
    server: `127.0.0.1:${port}`,
    zone,
    questions,
    close: async () => {
      await server.close();
    },
  };
}
