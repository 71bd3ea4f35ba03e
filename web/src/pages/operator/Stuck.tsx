import { Alert, Anchor, Button, Code, Group, Modal, Select, Stack, Table, Text, Textarea, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schema } from '../../../../clients/typescript';
import { api, unwrap } from '../../api';
import { Pager, usePager } from '../../components/Pager';
import { QueryState } from '../../components/QueryState';
import { useI18n } from '../../i18n';

type Order = Schema<'OrderResponse'>;

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
    <Modal opened onClose={onClose} title={`${t('resolve')} · ${order.reference}`}>
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
          {resolve.error && (
            <Alert color="red" role="alert">
              {resolve.error.message}
            </Alert>
          )}
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
      <QueryState query={list} isEmpty={(d) => d.data.length === 0}>
        {(page) => (
          <>
            <Table.ScrollContainer minWidth={800}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('reference')}</Table.Th>
                    <Table.Th>{t('merchant')}</Table.Th>
                    <Table.Th>{t('amount')}</Table.Th>
                    <Table.Th>{t('provider')}</Table.Th>
                    <Table.Th>{t('created')}</Table.Th>
                    <Table.Th>{t('expires')}</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>{t('resolve')}</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.map((o) => {
                    const overdue = new Date(o.expires_at).getTime() < Date.now();
                    return (
                      <Table.Tr key={o.id}>
                        <Table.Td>
                          <Anchor href={o.checkout_url ?? undefined} target="_blank" rel="noreferrer">
                            {o.reference}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>
                          <Code>{(o as Order & { merchant_id?: string }).merchant_id}</Code>
                        </Table.Td>
                        <Table.Td>
                          {o.amount} {o.currency}
                        </Table.Td>
                        <Table.Td>{o.provider}</Table.Td>
                        <Table.Td>{new Date(o.created_at).toLocaleString()}</Table.Td>
                        <Table.Td c={overdue ? 'red' : undefined}>
                          {new Date(o.expires_at).toLocaleString()}
                          {overdue ? ` (${t('overdue')})` : ''}
                        </Table.Td>
                        <Table.Td>
                          <Button
                            size="xs"
                            variant="light"
                            disabled={!o.transaction}
                            onClick={() => setResolving(o)}
                            aria-label={`${t('resolve')} ${o.reference}`}
                          >
                            {t('resolve')}
                          </Button>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Pager {...pager} page={page} />
          </>
        )}
      </QueryState>
      {resolving && <ResolveDialog order={resolving} onClose={() => setResolving(null)} />}
    </Stack>
  );
}
