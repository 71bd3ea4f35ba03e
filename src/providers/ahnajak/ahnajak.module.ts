import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { AhnajakCallbackController } from './ahnajak.controller';
import { AhnajakProvider } from './ahnajak.provider';

@Module({
  controllers: [AhnajakCallbackController],
  providers: [AhnajakProvider],
})
export class AhnajakModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: AhnajakProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
