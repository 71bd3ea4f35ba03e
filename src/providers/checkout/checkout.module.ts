import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { CheckoutCallbackController } from './checkout.controller';
import { CheckoutProvider } from './checkout.provider';

@Module({
  controllers: [CheckoutCallbackController],
  providers: [CheckoutProvider],
})
export class CheckoutModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: CheckoutProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
