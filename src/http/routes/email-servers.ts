import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Config } from '../../config.ts';
import type { EmailServerService } from '../../domain/email-servers.ts';
import {
  EmailServerIdParams,
  EmailServerListWrapped,
  EmailServerPost,
  EmailServerRequest,
  EmailServerResponse,
} from '../../schemas/email-server.ts';
import { oktaErrorResponses as errors } from '../../schemas/error.ts';
import { type ResponseShape, shapeForUserAgent } from '../../schemas/response-shapes.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { changeContextOf, principalOf } from '../auth.ts';
import { presentEmailServer } from '../presenters.ts';

export interface EmailServerRoutesOptions {
  emailServers: EmailServerService;
  responseShape: Config['responseShape'];
}

const tags = ['EmailServer'];

/** Okta's Email Servers API. Routes only translate HTTP to the domain service and back. */
export const emailServerRoutes: FastifyPluginAsyncTypebox<EmailServerRoutesOptions> = async (
  app,
  { emailServers, responseShape },
) => {
  // `auto` picks per request from the User-Agent, so shared caches must key on it too.
  const shapeOf = (request: FastifyRequest, reply: FastifyReply): ResponseShape => {
    if (responseShape !== 'auto') return responseShape;
    reply.header('Vary', 'User-Agent');
    return shapeForUserAgent(request.headers['user-agent']);
  };
  const listSchema = {
    documented: EmailServerListWrapped,
    okta: Type.Array(EmailServerResponse),
    auto: Type.Union([Type.Array(EmailServerResponse), EmailServerListWrapped], {
      description: 'A bare array for clients that parse what Okta sends, else the documented wrapper',
    }),
  }[responseShape];
  const getSchema = {
    documented: EmailServerListWrapped,
    okta: EmailServerResponse,
    auto: Type.Union([EmailServerResponse, EmailServerListWrapped], {
      description: 'The object for clients that parse what Okta sends, else the documented wrapper',
    }),
  }[responseShape];

  app.get('/api/v1/email-servers', {
    config: { scopes: ROUTE_SCOPES['emailServers.read'] },
    schema: {
      operationId: 'listEmailServers',
      summary: 'List all enrolled SMTP servers',
      tags,
      response: { 200: listSchema, ...errors(403, 429) },
    },
    handler: async (request, reply) => {
      const servers = (await emailServers.list(principalOf(request).orgId)).map(presentEmailServer);
      return shapeOf(request, reply) === 'documented' ? { 'email-servers': servers } : servers;
    },
  });

  app.post('/api/v1/email-servers', {
    config: { scopes: ROUTE_SCOPES['emailServers.manage'] },
    schema: {
      operationId: 'createEmailServer',
      summary: 'Create a custom SMTP server',
      tags,
      body: EmailServerPost,
      response: { 201: EmailServerResponse, ...errors(400, 403, 429) },
    },
    handler: async (request, reply) => {
      const server = await emailServers.create(principalOf(request).orgId, request.body, changeContextOf(request));
      return reply.status(201).send(presentEmailServer(server));
    },
  });

  app.get('/api/v1/email-servers/:emailServerId', {
    config: { scopes: ROUTE_SCOPES['emailServers.read'] },
    schema: {
      operationId: 'getEmailServer',
      summary: 'Retrieve an SMTP server configuration',
      tags,
      params: EmailServerIdParams,
      response: { 200: getSchema, ...errors(403, 404, 429) },
    },
    handler: async (request, reply) => {
      const server = presentEmailServer(
        await emailServers.get(principalOf(request).orgId, request.params.emailServerId),
      );
      return shapeOf(request, reply) === 'documented' ? { 'email-servers': [server] } : server;
    },
  });

  app.patch('/api/v1/email-servers/:emailServerId', {
    config: { scopes: ROUTE_SCOPES['emailServers.manage'] },
    schema: {
      operationId: 'updateEmailServer',
      summary: 'Update an SMTP server configuration',
      tags,
      params: EmailServerIdParams,
      body: EmailServerRequest,
      response: { 200: EmailServerResponse, ...errors(400, 403, 404, 429) },
    },
    handler: async (request) => {
      const { orgId } = principalOf(request);
      return presentEmailServer(
        await emailServers.update(orgId, request.params.emailServerId, request.body, changeContextOf(request)),
      );
    },
  });

  app.delete('/api/v1/email-servers/:emailServerId', {
    config: { scopes: ROUTE_SCOPES['emailServers.manage'] },
    schema: {
      operationId: 'deleteEmailServer',
      summary: 'Delete an SMTP server configuration',
      tags,
      params: EmailServerIdParams,
      response: { 204: Type.Null({ description: 'Deleted; no body' }), ...errors(403, 404, 429) },
    },
    handler: async (request, reply) => {
      await emailServers.remove(principalOf(request).orgId, request.params.emailServerId, changeContextOf(request));
      return reply.status(204).send(null);
    },
  });
};
