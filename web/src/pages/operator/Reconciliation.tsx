import { Button, Group, Stack, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { DataTable } from '../../components/DataTable';
import { MutationAlerts } from '../../components/MutationAlerts';
import { usePager } from '../../components/Pager';
import { StatusBadge } from '../../components/QueryState';
import { useI18n } from '../../i18n';

/** Operator console: reconciliation runs, newest first, and "run now" (a synchronous sweep of every PENDING transaction). */
export function Reconciliation() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const pager = usePager();
  const runs = useQuery({
    queryKey: ['admin', 'runs', pager.cursor],
    queryFn: async () => {
      const page = await unwrap(api.GET('/admin/reconciliation/runs', { params: { query: { limit: 25, starting_after: pager.cursor } } }));
      return { data: page.data ?? [], has_more: page.has_more ?? false };
    },
  });
  const runNow = useMutation({
    mutationFn: () => unwrap(api.POST('/admin/reconciliation/runs')),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['admin', 'runs'] }),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('navReconciliation')}</Title>
        <Button onClick={() => runNow.mutate()} loading={runNow.isPending}>
          {t('runNow')}
        </Button>
      </Group>
      <MutationAlerts
        error={runNow.error}
        success={
          runNow.data &&
          `${t('runFinished')}: ${runNow.data.checked} ${t('checked')}, ${runNow.data.paid} ${t('paidCount')}, ${runNow.data.errors} ${t('errors')}`
        }
      />
      <DataTable
        query={runs}
        label={t('navReconciliation')}
        minWidth={700}
        pager={pager}
        columns={[
          { header: t('started'), cell: (r) => new Date(r.started_at).toLocaleString() },
          { header: t('trigger'), cell: (r) => r.trigger },
          { header: t('status'), cell: (r) => <StatusBadge status={r.status} /> },
          { header: t('claimed'), cell: (r) => r.claimed },
          { header: t('checked'), cell: (r) => r.checked },
          { header: t('paidCount'), cell: (r) => r.paid },
          { header: t('expiredCount'), cell: (r) => r.expired },
          { header: t('errors'), cell: (r) => r.errors },
        ]}
      />
    </Stack>
  );
}
