import { Button, Checkbox, Code, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { DataTable } from '../components/DataTable';
import { MutationAlerts } from '../components/MutationAlerts';
import { StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';

type Order = Schema<'OrderResponse'>;

/** One Idempotency-Key per submitted form: a double click or a retried request refunds once. */
const idempotencyKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/** The refund form of a PAID order (owners): amount (default: what is left), reason, and "manual" when the gateway has no refund API. */
function RefundForm({ order }: { order: Order }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const gateways = useQuery({ queryKey: ['gateways'], queryFn: () => unwrap(api.GET('/v1/gateways')) });
  const viaApi = gateways.data?.data.find((g) => g.id === order.provider)?.refund ?? false;
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [manual, setManual] = useState(false);
  const refund = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/orders/{id}/refunds', {
          params: { path: { id: order.id }, header: { 'Idempotency-Key': idempotencyKey() } },
          body: { amount: amount.trim() || undefined, reason: reason.trim() || undefined, manual: viaApi ? undefined : manual },
        }),
      ),
    onSuccess: async () => {
      setAmount('');
      setReason('');
      setManual(false);
      await queries.invalidateQueries({ queryKey: ['order', order.id] });
    },
  });
  const submit = (e: FormEvent) => (e.preventDefault(), refund.mutate());
  return (
    <form onSubmit={submit} aria-labelledby="refund-form-title">
      <Stack gap="xs">
        <Title order={4} size="h5" id="refund-form-title">
          {t('refundIssue')}
        </Title>
        <MutationAlerts error={refund.error} />
        <Group align="flex-end">
          <TextInput
            label={`${t('amount')} (${order.currency})`}
            description={t('refundAmountHelp')}
            inputMode="decimal"
            pattern="[0-9]+([.][0-9]{1,2})?"
            value={amount}
            onChange={(e) => setAmount(e.currentTarget.value)}
          />
          <TextInput label={t('reason')} maxLength={500} value={reason} onChange={(e) => setReason(e.currentTarget.value)} miw={260} />
        </Group>
        {gateways.data && !viaApi && (
          <Checkbox
            label={t('refundManual')}
            description={t('refundManualHelp')}
            required
            checked={manual}
            onChange={(e) => setManual(e.currentTarget.checked)}
          />
        )}
        <Group>
          <Button type="submit" color="orange" loading={refund.isPending} disabled={!gateways.data}>
            {t('refund')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The order's refunds (GET /v1/orders/{id}/refunds) and, for owners of a PAID order, the refund form. */
export function OrderRefunds({ order }: { order: Order }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const refunds = useQuery({
    queryKey: ['order', order.id, 'refunds'],
    queryFn: () => unwrap(api.GET('/v1/orders/{id}/refunds', { params: { path: { id: order.id }, query: { limit: 100 } } })),
  });
  return (
    <Stack component="section" aria-labelledby="refunds-title">
      <Title order={3} size="h4" id="refunds-title">
        {t('refunds')}
      </Title>
      <Text size="sm">
        {t('refunded')}: {order.amount_refunded} {order.currency}
      </Text>
      <DataTable
        query={refunds}
        label={t('refunds')}
        minWidth={600}
        striped={false}
        columns={[
          { header: 'id', cell: (r) => <Code>{r.id}</Code> },
          { header: t('amount'), cell: (r) => `${r.amount} ${r.currency}` },
          { header: t('status'), cell: (r) => <StatusBadge status={r.status} /> },
          { header: t('method'), cell: (r) => r.method },
          { header: t('reason'), cell: (r) => String(r.failure_reason ?? r.reason ?? '') },
          { header: t('created'), cell: (r) => new Date(r.created_at).toLocaleString() },
        ]}
      />
      {can.owner && order.status === 'PAID' && <RefundForm order={order} />}
    </Stack>
  );
}
