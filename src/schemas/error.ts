import Type, { type Static } from 'typebox';

export const OktaError = Type.Object(
  {
    errorCode: Type.String({ description: 'Okta error code, e.g. E0000001. The only field meant for program logic.' }),
    errorSummary: Type.String(),
    errorLink: Type.String(),
    errorId: Type.String({ description: 'oae + 22 URL-safe base64 characters, fresh for every error' }),
    errorCauses: Type.Array(Type.Object({ errorSummary: Type.String() })),
  },
  { title: 'OktaError' },
);
export type OktaError = Static<typeof OktaError>;

/** Response schemas for a route's error statuses: every one answers with Okta's envelope. */
export function oktaErrorResponses(...statuses: number[]): Record<number, typeof OktaError> {
  return Object.fromEntries(statuses.map((status) => [status, OktaError]));
}
