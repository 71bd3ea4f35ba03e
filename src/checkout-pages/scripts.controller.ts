import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import { MODAL_SCRIPT } from './modal-script';

const ETAG = `"${createHash('sha256').update(MODAL_SCRIPT).digest('base64url').slice(0, 27)}"`;

@ApiTags('Checkout pages')
@Controller('js')
export class ScriptsController {
  @Get('khqr-checkout.js')
  @ApiOperation({
    summary: 'The embeddable checkout modal script',
    description:
      'Load it with `<script src="{PUBLIC_BASE_URL}/js/khqr-checkout.js"></script>` and call `KhqrCheckout.open({ orderId, onSuccess, onError, onClose, lang })`. ' +
      'It opens /pay/{orderId} in an iframe modal (a bottom sheet on phones) and reports by postMessage, checking the origin on both sides. Works for every provider.',
  })
  @ApiProduces('application/javascript')
  @ApiOkResponse({ description: 'JavaScript (ES5, no dependencies).' })
  @Header('content-type', 'application/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=300')
  @Header('etag', ETAG)
  // Merchants' pages on other origins load it: it must not be held back by a same-origin resource policy.
  @Header('cross-origin-resource-policy', 'cross-origin')
  @Header('x-content-type-options', 'nosniff')
  getCheckoutScript(): string {
    return MODAL_SCRIPT;
  }
}
