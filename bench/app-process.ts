// Child process for BENCH_SPLIT=1: runs one of bench/apps.ts's apps until told to close.
//   argv: <firebreak|bare> <AppSettings as JSON>
import { startApp, type AppName, type FromChild, type ToChild } from './apps.js';

const send = (message: FromChild): void => {
  process.send?.(message);
};

const [name, settings] = process.argv.slice(2);
if ((name !== 'firebreak' && name !== 'bare') || settings === undefined || process.send === undefined) {
  console.error('usage: forked by bench/apps.ts startAppProcess(<firebreak|bare>, settings)');
  process.exit(2);
}

try {
  const app = await startApp(name as AppName, JSON.parse(settings));
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= app.close());
  process.on('message', (message: ToChild) => {
    if (message.type !== 'close') return;
    close().then(
      () => send({ type: 'closed' }),
      (error: unknown) => {
        console.error(`${name}: close failed:`, error);
        process.exitCode = 1;
      },
    ).finally(() => process.disconnect());
  });
  // The parent went away without saying so: stop rather than linger.
  process.on('disconnect', () => {
    void close().catch(() => undefined).finally(() => process.exit());
  });
  send({ type: 'ready', url: app.url });
} catch (error) {
  send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect();
}
