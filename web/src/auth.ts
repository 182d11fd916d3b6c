/**
 * Sign-in with a bearer token, kept in sessionStorage only (gone when the tab closes).
 * After sign-in, GET /api/me tells the token's role, and the capabilities follow from it (a
 * capability denied hides its controls: elements with data-cap="…"); a 401/403 on a gated call
 * later marks that capability denied too. (Probing each gated route with an invalid request, as
 * before, wrote a refused write to the audit trail per probe.)
 */
export type Capability = 'check' | 'upload' | 'restore' | 'admin';

const KEY = 'dehui.token';
/** true = allowed, false = denied, undefined = not known yet */
const known = new Map<Capability, boolean>();
const listeners = new Set<() => void>();

export const CAPABILITY_ROLE: Record<Capability, string> = { check: '规划人员（planner）', upload: '数据编辑（editor）', restore: '数据编辑（editor）', admin: '管理员（admin）' };

export function token(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function authHeader(): string | null {
  const t = token();
  return t ? `Bearer ${t}` : null;
}

export function onAuthChange(fn: () => void): void {
  listeners.add(fn);
}

function changed(): void {
  applyVisibility();
  for (const fn of listeners) fn();
}

/** A role-gated call answered 401/403: that capability is not available to this token. */
export function noteDenied(cap: Capability, _status: number): void {
  if (known.get(cap) === false) return;
  known.set(cap, false);
  changed();
}

export function can(cap: Capability): boolean | undefined {
  return known.get(cap);
}

/** Hide controls whose capability is known to be denied. */
export function applyVisibility(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-cap]')) {
    const cap = el.dataset.cap as Capability;
    el.hidden = known.get(cap) === false;
  }
  const status = document.getElementById('auth-status');
  const button = document.getElementById('auth-button');
  if (status && button) {
    const t = token();
    const roles = (['admin', 'upload', 'check'] as Capability[]).find((c) => known.get(c));
    const label = !t ? '访客（只读）' : roles === 'admin' ? '已登录：管理员' : roles === 'upload' ? '已登录：数据编辑' : roles === 'check' ? '已登录：规划人员' : '已登录：浏览';
    status.textContent = label;
    button.textContent = t ? '退出' : '登录';
  }
}

/** the roles the caller holds (GET /api/me: its role and every one below it); null for a 401; undefined when the server cannot say (offline, an older server) */
async function callerRoles(): Promise<string[] | null | undefined> {
  const headers = new Headers();
  const auth = authHeader();
  if (auth) headers.set('authorization', auth);
  try {
    const res = await fetch('/api/me', { headers });
    if (res.status === 401) return null;
    if (!res.ok) return undefined;
    return ((await res.json()) as { roles: string[] }).roles;
  } catch {
    return undefined;
  }
}

/** the least role each capability needs (server/auth/roles.ts) */
const NEEDS: Record<Capability, string> = { check: 'planner', upload: 'editor', restore: 'editor', admin: 'admin' };

/** What this token may do, from its role (GET /api/me: one request, nothing written to the audit trail). */
export async function probeCapabilities(): Promise<void> {
  if (!token()) {
    // Anonymous is read-only (viewer): nothing gated is available, no need to ask.
    for (const cap of ['check', 'upload', 'restore', 'admin'] as Capability[]) known.set(cap, false);
    return changed();
  }
  const roles = await callerRoles();
  for (const cap of ['check', 'upload', 'restore', 'admin'] as Capability[]) {
    if (roles === undefined) known.delete(cap);
    else known.set(cap, roles !== null && roles.includes(NEEDS[cap]));
  }
  changed();
}

/** Validate a token (a presented unknown token is a 401 on any request), store it, probe. */
export async function signIn(secret: string): Promise<void> {
  const res = await fetch('/api/layers', { headers: { authorization: `Bearer ${secret}` } });
  if (res.status === 401) throw new Error('令牌无效或已撤销，请向管理员确认。');
  if (!res.ok) throw new Error(`登录失败（HTTP ${res.status}）`);
  sessionStorage.setItem(KEY, secret);
  await probeCapabilities();
}

export async function signOut(): Promise<void> {
  sessionStorage.removeItem(KEY);
  await probeCapabilities();
}

/** Wire the header button and the sign-in dialog. */
export function initAuth(): void {
  const dialog = document.getElementById('signin-dialog') as HTMLDialogElement;
  const form = document.getElementById('signin-form') as HTMLFormElement;
  const input = document.getElementById('signin-token') as HTMLInputElement;
  const error = document.getElementById('signin-error') as HTMLElement;
  document.getElementById('auth-button')!.addEventListener('click', () => {
    if (token()) return void signOut();
    error.textContent = '';
    input.value = '';
    dialog.showModal();
    input.focus();
  });
  document.getElementById('signin-cancel')!.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '正在验证…';
    try {
      await signIn(input.value.trim());
      dialog.close();
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    }
  });
  void probeCapabilities();
}
