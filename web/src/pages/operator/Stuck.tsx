import { Anchor, Button, Code, Group, Modal, Select, Stack, Text, Textarea, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schema } from '../../../../clients/typescript';
import { api, unwrap } from '../../api';
import { DataTable } from '../../components/DataTable';
import { MutationAlerts } from '../../components/MutationAlerts';
import { usePager } from '../../components/Pager';
import { useI18n } from '../../i18n';

type Order = Schema<'OrderResponse'>;

const overdue = (o: Order) => new Date(o.expires_at).getTime() < Date.now();

/** The resolve dialog: PAID or FAILED with a required reason (POST /admin/transactions/{id}/resolve, audited). */
function ResolveDialog({ order, onClose }: { order: Order; onClose: () => void }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [status, setStatus] = useState<'PAID' | 'FAILED'>('FAILED');
  const [reason, setReason] = useState('');
  const resolve = useMutation({
    mutationFn: () => unwrap(api.POST('/admin/transactions/{id}/resolve', { params: { path: { id: order.transaction?.id ?? '' } }, body: { status, reason } })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['admin', 'stuck'] });
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve.mutate();
  };
  return (
    <Modal opened onClose={onClose} title={`${t('resolve')} · ${order.reference}`} closeButtonProps={{ 'aria-label': t('close') }}>
      <form onSubmit={submit}>
        <Stack>
          <Text size="sm">
            {order.amount} {order.currency} · {order.provider} · <Code>{order.transaction?.id}</Code>
          </Text>
          <Select
            label={t('outcome')}
            required
            allowDeselect={false}
            data={[
              { value: 'PAID', label: 'PAID' },
              { value: 'FAILED', label: 'FAILED' },
            ]}
            value={status}
            onChange={(v) => setStatus((v as 'PAID' | 'FAILED') ?? 'FAILED')}
          />
          <Textarea
            label={t('reason')}
            description={t('reasonHelp')}
            required
            maxLength={500}
            autosize
            minRows={2}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          <MutationAlerts error={resolve.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('close')}
            </Button>
            <Button type="submit" color={status === 'PAID' ? 'green' : 'red'} loading={resolve.isPending} disabled={!reason.trim()}>
              {t('resolve')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Operator console: PENDING transactions across merchants, those past their expiry first in attention; resolve by hand with a reason. */
export function Stuck() {
  const { t } = useI18n();
  const pager = usePager();
  const [resolving, setResolving] = useState<Order | null>(null);
  const list = useQuery({
    queryKey: ['admin', 'stuck', pager.cursor],
    queryFn: () => unwrap(api.GET('/admin/orders', { params: { query: { status: 'PENDING', limit: 25, starting_after: pager.cursor } } })),
  });
  return (
    <Stack>
      <Title order={2}>{t('navStuck')}</Title>
      <Text size="sm" c="dimmed">
        {t('stuckHelp')}
      </Text>
      <DataTable
        query={list}
        label={t('navStuck')}
        minWidth={800}
        pager={pager}
        columns={[
          {
            header: t('reference'),
            cell: (o) => (
              <Anchor href={o.checkout_url ?? undefined} target="_blank" rel="noreferrer">
                {o.reference}
              </Anchor>
            ),
          },
          { header: t('merchant'), cell: (o) => <Code>{(o as Order & { merchant_id?: string }).merchant_id}</Code> },
          { header: t('amount'), cell: (o) => `${o.amount} ${o.currency}` },
          { header: t('provider'), cell: (o) => o.provider },
          { header: t('created'), cell: (o) => new Date(o.created_at).toLocaleString() },
          {
            header: t('expires'),
            td: (o) => ({ c: overdue(o) ? 'red' : undefined }),
            cell: (o) => `${new Date(o.expires_at).toLocaleString()}${overdue(o) ? ` (${t('overdue')})` : ''}`,
          },
          {
            header: <VisuallyHidden>{t('resolve')}</VisuallyHidden>,
            cell: (o) => (
              <Button size="xs" variant="light" disabled={!o.transaction} onClick={() => setResolving(o)} aria-label={`${t('resolve')} ${o.reference}`}>
                {t('resolve')}
              </Button>
            ),
          },
        ]}
      />
      {resolving && <ResolveDialog order={resolving} onClose={() => setResolving(null)} />}
    </Stack>
  );
}
