import { Button, Group } from '@mantine/core';
import { useState } from 'react';
import { useI18n } from '../i18n';

/** Cursor pagination (`starting_after`): the cursor state and first/next buttons. */
export function usePager() {
  const [cursor, setCursor] = useState<string | undefined>();
  return { cursor, setCursor };
}

export function Pager({ cursor, setCursor, page }: ReturnType<typeof usePager> & { page: { data: { id: string }[]; has_more: boolean } }) {
  const { t } = useI18n();
  return (
    <Group>
      <Button variant="default" disabled={!cursor} onClick={() => setCursor(undefined)}>
        {t('first')}
      </Button>
      <Button variant="default" disabled={!page.has_more} onClick={() => setCursor(page.data[page.data.length - 1]?.id)}>
        {t('next')}
      </Button>
    </Group>
  );
}
