import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { BackgroundLoops } from './background-loops';
import { Clock } from './clock';
import { Heartbeats } from './heartbeats';
import { OutboundHttp } from './http/outbound-http';

/**
 * Process-wide singletons: config, clock, outbound HTTP, heartbeats and the background-loop
 * registry. The feature folders' own singletons (provider registry, outbox writer) are made
 * global in app.module.ts, so that common/ imports no feature folder.
 */
@Global()
@Module({})
export class CommonModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CommonModule,
      providers: [{ provide: AppConfig, useValue: config }, Clock, OutboundHttp, Heartbeats, BackgroundLoops],
      exports: [AppConfig, Clock, OutboundHttp, Heartbeats, BackgroundLoops],
    };
  }
}
