import type { Type } from '@nestjs/common';
// Only the ids' type: the simulators are written from the gateways' documents, never from provider code.
import type { ProviderId } from '../providers/provider';
import { AhnajakSimulator } from './ahnajak.simulator';
import { BakongSimulator } from './bakong.simulator';
import { TelegramSimulator } from './telegram.simulator';
import { BakongapiSimulator } from './bakongapi.simulator';
import { CheckoutSimulator } from './checkout.simulator';
import { PaywaySimulator } from './payway.simulator';
import { PerfectpanelSimulator } from './perfectpanel.simulator';
import { RaksmeypaySimulator } from './raksmeypay.simulator';
import { SocpanelSimulator } from './socpanel.simulator';

/** Each gateway's simulator, mounted under /sandbox/{id}: a gateway without one does not compile. */
export const GATEWAY_SIMULATORS = {
  raksmeypay: RaksmeypaySimulator,
  ahnajak: AhnajakSimulator,
  bakongapi: BakongapiSimulator,
  checkout: CheckoutSimulator,
  bakong: BakongSimulator,
  payway: PaywaySimulator,
} satisfies Record<ProviderId, Type<unknown>>;

/** The SMM panels' simulators (not payment gateways: /sandbox/control/pay does not pay there). */
export const SMM_PANEL_SIMULATORS = {
  perfectpanel: PerfectpanelSimulator,
  socpanel: SocpanelSimulator,
};

/** Other services the orchestrator calls (merchant notifications): faults apply, payments do not. */
export const SERVICE_SIMULATORS = {
  telegram: TelegramSimulator,
};

/** Where /sandbox/control/pay can pay. */
export const SIMULATED_GATEWAYS = Object.keys(GATEWAY_SIMULATORS);
/** Everything /sandbox/control/faults can slow down or break. */
export const SANDBOX_PROVIDERS = [...SIMULATED_GATEWAYS, ...Object.keys(SMM_PANEL_SIMULATORS), ...Object.keys(SERVICE_SIMULATORS)];
