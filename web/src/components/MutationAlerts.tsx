import { Alert, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * What a form or row action answered: the failure (the problem's `detail`, role=alert) and, once
 * it succeeded, a short confirmation (role=status). Either may be absent.
 */
export function MutationAlerts({ error, success }: { error?: Error | null; success?: ReactNode }) {
  return (
    <>
      {error && (
        <Alert color="red" role="alert">
          {error.message}
        </Alert>
      )}
      {success ? (
        <Text size="sm" c="green" role="status">
          {success}
        </Text>
      ) : null}
    </>
  );
}
