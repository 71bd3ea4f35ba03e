import { Button, Card, Group, MultiSelect, PasswordInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { MutationAlerts } from '../components/MutationAlerts';
import { QueryState } from '../components/QueryState';
import { useI18n } from '../i18n';

type Channel = Schema<'NotificationChannelView'>;
type EventType = Channel['events'][number];
/**
 * Every event type the API accepts, in the server's order. The generated client has them only as a type (no
 * runtime value), so they are keys of a record the compiler checks against that type: an event the OpenAPI
 * document gains or loses fails `tsc -p web` until this list follows.
 */
const EVENTS = Object.keys({
  'order.created': true,
  'order.paid': true,
  'order.expired': true,
  'order.cancelled': true,
  'order.failed': true,
  'order.flagged': true,
  'refund.created': true,
  'refund.succeeded': true,
  'refund.failed': true,
} satisfies Record<EventType, true>) as EventType[];

/** The Telegram channel form: the bot token is write-only (the stored one shows only as its mask, and saving needs it again). */
function TelegramForm({ channel }: { channel: Channel | undefined }) {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const queries = useQueryClient();
  const [botToken, setBotToken] = useState('');
  const [chatId, setChatId] = useState(channel?.chat_id ?? '');
  const [events, setEvents] = useState<EventType[]>(channel?.events ?? ['order.paid']);
  const [language, setLanguage] = useState<'km' | 'en'>(channel?.language ?? lang);
  const done = () => queries.invalidateQueries({ queryKey: ['notification-channels'] });
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT('/v1/notification-channels/telegram', { body: { bot_token: botToken, chat_id: chatId, events, language } })),
    onSuccess: async () => (setBotToken(''), await done()),
  });
  const remove = useMutation({ mutationFn: () => unwrap(api.DELETE('/v1/notification-channels/telegram')), onSuccess: done });
  const submit = (e: FormEvent) => (e.preventDefault(), save.mutate());
  const failure = save.error ?? remove.error;
  return (
    <Card withBorder component="section" aria-labelledby="telegram-title" maw={640}>
      <form onSubmit={submit}>
        <fieldset disabled={!can.developer} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack gap="sm">
            <Title order={3} size="h4" id="telegram-title">
              Telegram
            </Title>
            <Text size="sm" c="dimmed">
              {t('telegramHelp')}
            </Text>
            <MutationAlerts error={failure} success={save.isSuccess && t('saved')} />
            <PasswordInput
              label={t('botToken')}
              description={t('botTokenHelp')}
              required
              autoComplete="off"
              placeholder={channel?.bot_token}
              value={botToken}
              onChange={(e) => setBotToken(e.currentTarget.value)}
            />
            <TextInput label={t('chatId')} required value={chatId} onChange={(e) => setChatId(e.currentTarget.value)} />
            <MultiSelect label={t('events')} data={EVENTS} value={events} onChange={(v) => setEvents(v as EventType[])} />
            <Select
              label={t('language')}
              allowDeselect={false}
              data={[
                { value: 'km', label: 'ខ្មែរ' },
                { value: 'en', label: 'English' },
              ]}
              value={language}
              onChange={(v) => setLanguage((v as 'km' | 'en') ?? 'km')}
            />
            {can.developer && (
              <Group>
                <Button type="submit" loading={save.isPending}>
                  {t('save')}
                </Button>
                {channel && (
                  <Button color="red" variant="light" loading={remove.isPending} onClick={() => remove.mutate()}>
                    {t('delete')}
                  </Button>
                )}
              </Group>
            )}
          </Stack>
        </fieldset>
      </form>
    </Card>
  );
}

/** Merchant notifications: the Telegram channel (PUT/GET/DELETE /v1/notification-channels). */
export function Notifications() {
  const { t } = useI18n();
  const channels = useQuery({ queryKey: ['notification-channels'], queryFn: () => unwrap(api.GET('/v1/notification-channels')) });
  return (
    <Stack>
      <Title order={2}>{t('navNotifications')}</Title>
      <QueryState query={channels}>
        {(list) => {
          const telegram = list.data.find((c) => c.type === 'telegram');
          return <TelegramForm channel={telegram} />;
        }}
      </QueryState>
    </Stack>
  );
}
