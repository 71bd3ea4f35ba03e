import { Alert, Badge, Button, Center, Loader, Stack, Text } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';

/** What QueryState reads of a query (TanStack's result, or several combined by hand). */
export interface QueryLike<T> {
  isPending: boolean;
  error: Error | null;
  data: T | undefined;
  refetch: () => unknown;
}

/** Loading, error (the problem's `detail`) and empty states around a query's data. */
export function QueryState<T>({ query, isEmpty, children }: { query: QueryLike<T>; isEmpty?: (data: T) => boolean; children: (data: T) => ReactNode }) {
  const { t } = useI18n();
  if (query.isPending)
    return (
      <Center p="xl" role="status" aria-live="polite">
        <Loader aria-label={t('loading')} />
      </Center>
    );
  if (query.error)
    return (
      <Alert color="red" icon={<IconAlertCircle />} title={t('errorTitle')} role="alert">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{query.error.message}</Text>
          <Button size="xs" variant="light" onClick={() => void query.refetch()}>
            {t('retry')}
          </Button>
        </Stack>
      </Alert>
    );
  if (query.data === undefined) return null;
  if (isEmpty?.(query.data))
    return (
      <Text c="dimmed" p="md">
        {t('empty')}
      </Text>
    );
  return <>{children(query.data)}</>;
}

export function StatusBadge({ status }: { status: string }) {
  const color =
    {
      PAID: 'green',
      PENDING: 'yellow',
      EXPIRED: 'gray',
      CANCELLED: 'gray',
      FAILED: 'red',
      SUCCEEDED: 'green',
      delivered: 'green',
      dead: 'red',
      failed: 'orange',
      active: 'green',
      inactive: 'gray',
      expiring: 'yellow',
      expired: 'gray',
      revoked: 'gray',
    }[status] ?? 'blue';
  return (
    <Badge color={color} variant="light">
      {status}
    </Badge>
  );
}
