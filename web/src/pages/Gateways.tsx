import { Badge, Card, Code, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api';
import { QueryState } from '../components/QueryState';
import { useI18n } from '../i18n';

/** The merchant's gateway accounts as the API returns them: secrets arrive masked and are never shown or sent back. */
export function Gateways() {
  const { t } = useI18n();
  const accounts = useQuery({ queryKey: ['provider-accounts'], queryFn: () => unwrap(api.GET('/v1/provider-accounts')) });
  return (
    <Stack>
      <Title order={2}>{t('navGateways')}</Title>
      <QueryState query={accounts} isEmpty={(d) => d.data.length === 0}>
        {(list) => (
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            {list.data.map((a) => (
              <Card key={a.provider} withBorder>
                <Stack gap="xs">
                  <Title order={3} size="h4">
                    {a.provider}
                  </Title>
                  {a.warnings.map((w) => (
                    <Badge key={w} color="orange" variant="light">
                      {w}
                    </Badge>
                  ))}
                  <Text size="sm" fw={500}>
                    {t('credentials')}
                  </Text>
                  {Object.entries(a.credentials).map(([k, v]) => (
                    <Text key={k} size="sm">
                      {k}: <Code>{typeof v === 'string' ? v : JSON.stringify(v)}</Code>
                    </Text>
                  ))}
                </Stack>
              </Card>
            ))}
          </SimpleGrid>
        )}
      </QueryState>
    </Stack>
  );
}
