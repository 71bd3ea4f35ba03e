import { AppShell, Burger, Button, Group, NavLink, SegmentedControl, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconActivity,
  IconAlertTriangle,
  IconBuildingStore,
  IconChartBar,
  IconClipboardList,
  IconLogout,
  IconMailOff,
  IconPlugConnected,
  IconReceipt,
  IconRefresh,
  IconWebhook,
} from '@tabler/icons-react';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router-dom';
import { useAuth } from '../auth';
import { useI18n, type Lang } from '../i18n';
import type { MessageKey } from '../messages';

type NavItem = { to: string; label: MessageKey; icon: typeof IconActivity };
const MERCHANT_NAV: NavItem[] = [
  { to: '/overview', label: 'navOverview', icon: IconChartBar },
  { to: '/orders', label: 'navOrders', icon: IconReceipt },
  { to: '/webhooks', label: 'navWebhooks', icon: IconWebhook },
  { to: '/gateways', label: 'navGateways', icon: IconPlugConnected },
];
/** The operator console (platform role `operator`; today the ADMIN_TOKEN). */
export const OPERATOR_NAV: NavItem[] = [
  { to: '/operator/merchants', label: 'navMerchants', icon: IconBuildingStore },
  { to: '/operator/reconciliation', label: 'navReconciliation', icon: IconRefresh },
  { to: '/operator/stuck', label: 'navStuck', icon: IconAlertTriangle },
  { to: '/operator/dead-letters', label: 'navDeadLetters', icon: IconMailOff },
  { to: '/operator/audit-log', label: 'navAudit', icon: IconClipboardList },
];

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('language')}
      value={lang}
      onChange={(v) => setLang(v as Lang)}
      data={[
        { value: 'en', label: 'English' },
        { value: 'km', label: 'ខ្មែរ' },
      ]}
    />
  );
}

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const { t } = useI18n();
  const { me, signOut } = useAuth();
  const location = useLocation();
  const active = (to: string) => (to === '/' ? location.pathname === '/' : location.pathname.startsWith(to));
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 250, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('toggleNav')} />
            <Title order={1} size="h4">
              {t('appName')}
            </Title>
          </Group>
          <Group wrap="nowrap">
            <LanguageSwitch />
            <Text size="sm" visibleFrom="sm">
              {me?.user.email}
            </Text>
            <Button variant="subtle" size="xs" leftSection={<IconLogout size={16} />} onClick={() => void signOut()}>
              {t('signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {(me?.user.role === 'operator' ? OPERATOR_NAV : MERCHANT_NAV).map((item) => (
          <NavLink
            key={item.to}
            component={RouterLink}
            to={item.to}
            label={t(item.label)}
            leftSection={<item.icon size={18} />}
            active={active(item.to)}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
