import { ConfigError } from '../errors.js';
import { CoinGeckoClient, type CoinGeckoClientOptions } from './coingecko-client.js';

const PLANS = ['demo', 'pro'] as const;

/**
 * A `CoinGeckoClient` configured from `COINGECKO_API_KEY` and `COINGECKO_PLAN` (`demo` or `pro`; default `demo`),
 * so the key never has to appear on a command line.
 *
 * @example
 * const client = coinGeckoClientFromEnv(process.env, { baseUrl: 'http://127.0.0.1:8080/api/v3' });
 */
export function coinGeckoClientFromEnv(env: NodeJS.ProcessEnv, options: Omit<CoinGeckoClientOptions, 'apiKey' | 'plan'> = {}): CoinGeckoClient {
  const apiKey = env.COINGECKO_API_KEY?.trim() || undefined;
  const plan = env.COINGECKO_PLAN?.trim().toLowerCase() || 'demo';
  if (!(PLANS as readonly string[]).includes(plan)) {
    throw new ConfigError(`COINGECKO_PLAN must be one of ${PLANS.map((p) => `'${p}'`).join(', ')}; received ${JSON.stringify(env.COINGECKO_PLAN)}`);
  }
  return new CoinGeckoClient({ ...options, apiKey, plan: plan as (typeof PLANS)[number] });
}
