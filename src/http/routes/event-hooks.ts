import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { EventHookService } from '../../domain/event-hooks.ts';
import { oktaErrorResponses as errors } from '../../schemas/error.ts';
import {
  EventHookDeliveries,
  EventHookIdParams,
  EventHookRequest,
  EventHookResponse,
} from '../../schemas/event-hook.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { changeContextOf, principalOf } from '../auth.ts';
import { presentEventHook } from '../event-hook-presenter.ts';

export interface EventHookRoutesOptions {
  eventHooks: EventHookService;
  publicUrl: string;
}

const tags = ['EventHook'];

/** Okta's Event Hooks API. */
export const eventHookRoutes: FastifyPluginAsyncTypebox<EventHookRoutesOptions> = async (
  app,
  { eventHooks, publicUrl },
) => {
  const read = { scopes: ROUTE_SCOPES['eventHooks.read'] };
  const manage = { scopes: ROUTE_SCOPES['eventHooks.manage'] };

  app.get('/api/v1/eventHooks', {
    config: read,
    schema: {
      operationId: 'listEventHooks',
      summary: 'List all event hooks',
      tags,
      response: { 200: Type.Array(EventHookResponse), ...errors(403, 429) },
    },
    handler: async (request) =>
      (await eventHooks.list(principalOf(request).orgId)).map((hook) => presentEventHook(hook, publicUrl)),
  });

  app.post('/api/v1/eventHooks', {
    config: manage,
    schema: {
      operationId: 'createEventHook',
      summary: 'Create an event hook (ACTIVE, UNVERIFIED)',
      tags,
      body: EventHookRequest,
      response: { 200: EventHookResponse, ...errors(400, 403, 429) },
    },
    handler: async (request) =>
      presentEventHook(
        await eventHooks.create(principalOf(request).orgId, request.body, changeContextOf(request)),
        publicUrl,
      ),
  });

  app.get('/api/v1/eventHooks/:eventHookId', {
    config: read,
    schema: {
      operationId: 'getEventHook',
      summary: 'Retrieve an event hook',
      tags,
      params: EventHookIdParams,
      response: { 200: EventHookResponse, ...errors(403, 404, 429) },
    },
    handler: async (request) =>
      presentEventHook(await eventHooks.get(principalOf(request).orgId, request.params.eventHookId), publicUrl),
  });

  app.put('/api/v1/eventHooks/:eventHookId', {
    config: manage,
    schema: {
      operationId: 'replaceEventHook',
      summary: 'Replace an event hook',
      description:
        'Changing the uri sets verificationStatus to UNVERIFIED. authScheme.value may be left out only while uri and authScheme.key stay the same.',
      tags,
      params: EventHookIdParams,
      body: EventHookRequest,
      response: { 200: EventHookResponse, ...errors(400, 403, 404, 429) },
    },
    handler: async (request) =>
      presentEventHook(
        await eventHooks.replace(
          principalOf(request).orgId,
          request.params.eventHookId,
          request.body,
          changeContextOf(request),
        ),
        publicUrl,
      ),
  });

  app.delete('/api/v1/eventHooks/:eventHookId', {
    config: manage,
    schema: {
      operationId: 'deleteEventHook',
      summary: 'Delete an INACTIVE event hook',
      tags,
      params: EventHookIdParams,
      response: { 204: Type.Null({ description: 'Deleted; no body' }), ...errors(400, 403, 404, 429) },
    },
    handler: async (request, reply) => {
      await eventHooks.delete(principalOf(request).orgId, request.params.eventHookId, changeContextOf(request));
      return reply.status(204).send(null);
    },
  });

  for (const [action, operationId, summary] of [
    ['activate', 'activateEventHook', 'Activate an event hook'],
    ['deactivate', 'deactivateEventHook', 'Deactivate an event hook'],
  ] as const) {
    app.post(`/api/v1/eventHooks/:eventHookId/lifecycle/${action}`, {
      config: manage,
      schema: {
        operationId,
        summary,
        tags,
        params: EventHookIdParams,
        response: { 200: EventHookResponse, ...errors(403, 404, 429) },
      },
      handler: async (request) => {
        const status = action === 'activate' ? 'ACTIVE' : 'INACTIVE';
        const { orgId } = principalOf(request);
        const hook = await eventHooks.setStatus(orgId, request.params.eventHookId, status, changeContextOf(request));
        return presentEventHook(hook, publicUrl);
      },
    });
  }

  app.get('/api/v1/mailroute/eventHooks/:eventHookId/deliveries', {
    config: read,
    schema: {
      operationId: 'listEventHookDeliveries',
      summary: 'Extension: the latest calls to the hook’s receiver, newest first, and the events still waiting',
      tags,
      params: EventHookIdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }),
      response: { 200: EventHookDeliveries, ...errors(400, 403, 404, 429) },
    },
    handler: async (request) => {
      const { orgId } = principalOf(request);
      const { calls, pending } = await eventHooks.deliveries(
        orgId,
        request.params.eventHookId,
        request.query.limit ?? 50,
      );
      return {
        pending,
        calls: calls.map((call) => ({
          id: call.id,
          at: new Date(call.at).toISOString(),
          events: call.eventCount,
          result: call.result,
          statusCode: call.statusCode,
          error: call.error,
        })),
      };
    },
  });

  app.post('/api/v1/eventHooks/:eventHookId/lifecycle/verify', {
    config: manage,
    schema: {
      operationId: 'verifyEventHook',
      summary: 'Verify an event hook',
      description:
        'GETs the uri with the header X-Okta-Verification-Challenge; the receiver must answer {"verification": <the challenge>}.',
      tags,
      params: EventHookIdParams,
      response: { 200: EventHookResponse, ...errors(400, 403, 404, 429) },
    },
    handler: async (request) =>
      presentEventHook(
        await eventHooks.verify(principalOf(request).orgId, request.params.eventHookId, changeContextOf(request)),
        publicUrl,
      ),
  });
};
