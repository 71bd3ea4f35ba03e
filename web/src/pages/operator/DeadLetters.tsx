import { Button, Code, Stack, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { DataTable } from '../../components/DataTable';
import { MutationAlerts } from '../../components/MutationAlerts';
import { usePager } from '../../components/Pager';
import { StatusBadge } from '../../components/QueryState';
import { useI18n } from '../../i18n';

/** Operator console: webhook deliveries that gave up (status `dead`), with retry. */
export function DeadLetters() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const pager = usePager();
  const list = useQuery({
    queryKey: ['admin', 'dead', pager.cursor],
    queryFn: () => unwrap(api.GET('/admin/webhook-deliveries', { params: { query: { status: 'dead', limit: 25, starting_after: pager.cursor } } })),
  });
  const retry = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/admin/webhook-deliveries/{id}/retry', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['admin', 'dead'] }),
  });
  return (
    <Stack>
      <Title order={2}>{t('navDeadLetters')}</Title>
      <MutationAlerts
        error={retry.error}
        success={
          retry.data && (
            <>
              {t('retryQueued')}: <Code>{retry.data.id}</Code>
            </>
          )
        }
      />
      <DataTable
        query={list}
        label={t('navDeadLetters')}
        minWidth={800}
        pager={pager}
        columns={[
          {
            header: t('events'),
            cell: (d) => (
              <>
                {d.event_type} <Code>{d.event_id}</Code>
              </>
            ),
          },
          { header: t('url'), cell: (d) => d.url },
          {
            header: t('status'),
            cell: (d) => (
              <>
                <StatusBadge status={d.status} /> {d.last_status ?? ''}
              </>
            ),
          },
          { header: t('attempts'), cell: (d) => d.attempts },
          { header: t('lastAttempt'), cell: (d) => (d.last_attempt_at ? new Date(d.last_attempt_at).toLocaleString() : '—') },
          {
            header: <VisuallyHidden>{t('retryDelivery')}</VisuallyHidden>,
            cell: (d) => (
              <Button
                size="xs"
                variant="light"
                loading={retry.isPending && retry.variables === d.id}
                onClick={() => retry.mutate(d.id)}
                aria-label={`${t('retryDelivery')} ${d.id}`}
              >
                {t('retryDelivery')}
              </Button>
            ),
          },
        ]}
      />
    </Stack>
  );
}
