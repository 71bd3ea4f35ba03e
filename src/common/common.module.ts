import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { EventsRepository } from '../events/events.repository';
import { OutboxWriter } from '../events/outbox.writer';
import { ProviderRegistry } from '../providers/provider';
import { Clock } from './clock';
import { Heartbeats } from './heartbeats';
import { OutboundHttp } from './http/outbound-http';

/** Process-wide singletons: config, clock, outbound HTTP, the provider registry and the outbox writer (with the events table it writes). */
@Global()
@Module({})
export class CommonModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CommonModule,
      providers: [{ provide: AppConfig, useValue: config }, Clock, OutboundHttp, ProviderRegistry, OutboxWriter, EventsRepository, Heartbeats],
      exports: [AppConfig, Clock, OutboundHttp, ProviderRegistry, OutboxWriter, EventsRepository, Heartbeats],
    };
  }
}
