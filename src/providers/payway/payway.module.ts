import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { PaywayCallbackController } from './payway.controller';
import { PaywayProvider } from './payway.provider';

@Module({
  controllers: [PaywayCallbackController],
  providers: [PaywayProvider],
})
export class PaywayModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: PaywayProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
