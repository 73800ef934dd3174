import type { Browser } from 'puppeteer-core';

/**
 * Headless Chromium for the browser tests: a system Chrome named by CHROME_PATH, else the Linux x64 build
 * that @sparticuz/chromium ships inside its npm package (unpacked to the temp folder on first use). The
 * flags keep it off the network (this machine has none) and leave the web's security rules on: CORS is
 * under test, so none of @sparticuz/chromium's serverless flags that turn it off are used.
 */
export async function launchChromium(): Promise<Browser> {
  const puppeteer = (await import('puppeteer-core')).default;
  const executablePath = process.env.CHROME_PATH || (await (await import('@sparticuz/chromium')).default.executablePath());
  return puppeteer.launch({
    executablePath,
    headless: 'shell',
    args: [
      '--no-sandbox',
      '--disable-setuid-sandbox',
      '--no-zygote',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}
