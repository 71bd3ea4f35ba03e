import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import * as QRCode from 'qrcode';
import { notFound, validationProblem } from '../common/problem';
import { QrImageService } from './qr-image.service';
import { renderQrPng } from './qr-png';

export const QR_IMAGE_FORMATS = ['png', 'svg'] as const;
type QrImageFormat = (typeof QR_IMAGE_FORMATS)[number];

/** Big enough for a phone to scan off a laptop screen, small enough to embed anywhere. */
export const QR_PNG_WIDTH = 512;
/** The payload never changes for a token, so the image may be cached for as long as the order lives. */
const CACHE_CONTROL = 'public, max-age=86400, immutable';
/** The SVG is ours and has no script: forbid everything it does not need. */
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * The order's KHQR as an image, rendered here from orders.qr_payload so merchants never depend
 * on a gateway's image host. Public: the unguessable token in `qr.image_url` is the capability.
 */
@ApiTags('Checkout pages')
@Controller('qr')
export class QrImageController {
  constructor(private readonly qrImages: QrImageService) {}

  @Get(':token')
  @ApiOperation({
    summary: "An order's KHQR as an image",
    description:
      "The image `qr.image_url` points at, rendered from the order's KHQR payload (`qr.payload`): PNG by default, SVG with `format=svg`. " +
      'Public (no Authorization): the unguessable token is the capability. The payload of a token never changes, so the response is cacheable ' +
      '(`Cache-Control: public, max-age=86400, immutable`, an ETag, and 304 on `If-None-Match`). An unknown token answers a 404 problem.',
  })
  @ApiParam({ name: 'token', description: 'The last path segment of qr.image_url', example: 'Jx0b3k7S2vVq9mN4pR8tY1wE6uI5oA3z' })
  @ApiQuery({ name: 'format', required: false, enum: QR_IMAGE_FORMATS, description: 'png (default) or svg' })
  @ApiProduces('image/png', 'image/svg+xml')
  @ApiResponse({ status: 200, description: 'The QR code image' })
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the ETag)' })
  @ApiResponse({ status: 400, description: 'Unknown format (problem+json)' })
  @ApiResponse({ status: 404, description: 'No order has this token (problem+json)' })
  async getQrImage(
    @Param('token') token: string,
    @Query('format') formatParam: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const format = (formatParam ?? 'png').toLowerCase() as QrImageFormat;
    if (!QR_IMAGE_FORMATS.includes(format)) throw validationProblem([{ field: 'format', message: `format must be one of ${QR_IMAGE_FORMATS.join(', ')}` }]);
    const qr = await this.qrImages.find(token);
    if (!qr) throw notFound('QR code');
    const etag = `"${qr.md5}.${format}"`;
    void reply.header('cache-control', CACHE_CONTROL).header('etag', etag).header('x-content-type-options', 'nosniff');
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      void reply.status(304).send();
      return;
    }
    const payload = qr.payload;
    if (format === 'svg') {
      const svg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      void reply.status(200).header('content-type', 'image/svg+xml; charset=utf-8').header('content-security-policy', SVG_CSP).send(svg);
      return;
    }
    const png = renderQrPng(payload, { width: QR_PNG_WIDTH, margin: 2, errorCorrectionLevel: 'M' });
    void reply.status(200).header('content-type', 'image/png').send(png);
  }
}
