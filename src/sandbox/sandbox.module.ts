import { Module } from '@nestjs/common';
import { AhnajakSimulator } from './ahnajak.simulator';
import { SandboxBackOffice } from './back-office';
import { BakongSimulator } from './bakong.simulator';
import { BakongapiSimulator } from './bakongapi.simulator';
import { CheckoutSimulator } from './checkout.simulator';
import { SandboxControlController } from './control.controller';
import { SandboxFaults } from './faults';
import { SandboxLedger } from './ledger';
import { PerfectpanelSimulator } from './perfectpanel.simulator';
import { RaksmeypaySimulator } from './raksmeypay.simulator';
import { SandboxReactions } from './simulators';
import { SandboxPanels } from './smm-panels';
import { SocpanelSimulator } from './socpanel.simulator';
import { SandboxInboxSecrets, SandboxWebhookInboxController } from './webhook-inbox.controller';

/**
 * Faithful simulators of every gateway's documented API under /sandbox/{provider}, plus
 * /sandbox/control to pay and to inject faults. Mounted by the app module only when SANDBOX is on.
 */
@Module({
  controllers: [SandboxControlController, RaksmeypaySimulator, AhnajakSimulator, CheckoutSimulator, BakongapiSimulator, BakongSimulator, PerfectpanelSimulator, SocpanelSimulator, SandboxWebhookInboxController],
  providers: [SandboxBackOffice, SandboxLedger, SandboxFaults, SandboxReactions, SandboxPanels, SandboxInboxSecrets],
  exports: [SandboxBackOffice, SandboxLedger, SandboxFaults, SandboxReactions],
})
export class SandboxModule {}
