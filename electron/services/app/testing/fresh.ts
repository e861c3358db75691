// App services on a fresh profile of their own, for tests that need no network: closed and
// their folder removed after each test.
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { TEST_KDF, tempDir } from '../../../../tests/support/tmp.js';
import { createAppServices, type AppServices, type AppServicesOptions } from '../services.js';

export function freshApps(): (extra?: Partial<AppServicesOptions>) => AppServices {
  const open: { services: AppServices; dir: { remove(): void } }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) {
      o.services.close();
      o.dir.remove();
    }
  });
  return (extra = {}) => {
    const dir = tempDir();
    const services = createAppServices({
      profileDir: join(dir.path, 'profile'),
      host: 'web',
      version: '1.0.0',
      kdf: TEST_KDF,
      autoStart: false,
      ...extra,
    });
    open.push({ services, dir });
    return services;
  };
}
