// Registers the provider in the ProviderRegistry; list the module once, in src/providers/gateways.ts.
import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { ExampleCallbackController } from './example.controller';
import { ExampleProvider } from './example.provider';

@Module({
  controllers: [ExampleCallbackController],
  providers: [ExampleProvider],
})
export class ExampleModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: ExampleProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
