// The gateway's callback URLs: each handler hands the request to the inbound port and answers.
import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { InboundCallbacks } from '../inbound';
import { exampleWebhook } from './example.inbound';

@ApiTags('Callbacks')
@Controller('callbacks/example')
export class ExampleCallbackController {
  constructor(private readonly inbound: InboundCallbacks) {}

  @Post(':reference')
  @HttpCode(200)
  @ApiOperation({ summary: "Example Pay's signed webhook", description: 'What is checked, what a valid call does, and what a forged one answers.' })
  async webhook(@Param('reference') reference: string, @Req() request: FastifyRequest & { rawBody?: Buffer }): Promise<{ received: true }> {
    await this.inbound.handle(exampleWebhook, {
      params: { reference },
      query: {},
      headers: request.headers as Record<string, string | undefined>,
      rawBody: request.rawBody,
    });
    return { received: true };
  }
}
