import { Button, Code, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { operations } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { DataTable } from '../components/DataTable';
import { MutationAlerts } from '../components/MutationAlerts';
import { usePager } from '../components/Pager';
import { StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';

type Status = NonNullable<NonNullable<operations['listWebhookDeliveries']['parameters']['query']>['status']>;
const STATUSES: Status[] = ['pending', 'delivering', 'delivered', 'failed', 'dead'];

/** The merchant's own delivery log (GET /v1/webhook-deliveries) with replay of a failed or dead delivery. */
export function WebhookDeliveries() {
  const { t } = useI18n();
  const { can } = useAuth();
  const queries = useQueryClient();
  const pager = usePager();
  const [status, setStatus] = useState<Status | null>(null);
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', status, pager.cursor],
    queryFn: () => unwrap(api.GET('/v1/webhook-deliveries', { params: { query: { limit: 25, status: status ?? undefined, starting_after: pager.cursor } } })),
  });
  const retry = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/v1/webhook-deliveries/{id}/retry', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['webhook-deliveries'] }),
  });
  return (
    <Stack component="section" aria-labelledby="deliveries-title">
      <Title order={3} size="h4" id="deliveries-title">
        {t('deliveries')}
      </Title>
      <Select
        label={t('status')}
        placeholder={t('any')}
        clearable
        data={STATUSES}
        value={status}
        onChange={(v) => (setStatus(v as Status | null), pager.setCursor(undefined))}
        w={200}
      />
      <MutationAlerts error={retry.error} success={retry.isSuccess && t('retryQueued')} />
      <DataTable
        query={deliveries}
        label={t('deliveries')}
        minWidth={800}
        pager={pager}
        columns={[
          {
            header: t('events'),
            cell: (d) => (
              <>
                <Text size="sm">{d.event_type}</Text>
                <Code>{d.event_id}</Code>
              </>
            ),
          },
          { header: t('url'), cell: (d) => d.url },
          { header: t('status'), cell: (d) => <StatusBadge status={d.status} /> },
          { header: t('attempts'), cell: (d) => d.attempts },
          {
            header: t('lastAttempt'),
            cell: (d) =>
              `${d.last_attempt_at ? new Date(d.last_attempt_at).toLocaleString() : ''}${d.last_status ? ` · HTTP ${d.last_status}` : ''}${d.last_error ? ` · ${d.last_error}` : ''}`,
          },
          {
            cell: (d) =>
              can.developer &&
              (d.status === 'failed' || d.status === 'dead') && (
                <Group justify="flex-end">
                  <Button
                    size="xs"
                    variant="light"
                    loading={retry.isPending && retry.variables === d.id}
                    onClick={() => retry.mutate(d.id)}
                    aria-label={`${t('retryDelivery')} ${d.event_type} ${d.id}`}
                  >
                    {t('retryDelivery')}
                  </Button>
                </Group>
              ),
          },
        ]}
      />
    </Stack>
  );
}
