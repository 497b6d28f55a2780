/**
 * The studio's link to the engine: the Studio API client (made once the studio starts), its
 * connection state in the app store, and the catalogues it serves (models, samplers), listed at
 * the start and again whenever the connection opens with none known. No DOM: the page hands it
 * `createStudioClient`, tests a fake.
 */
import type { StudioClient } from '../../api/index.js';
import type { AppStore } from '../app-state.js';
import { PACK_SAMPLER, withModel } from '../generate/settings.js';
import type { StudioModule } from '../module.js';
import { errorText, type Say } from '../status.js';

export interface ConnectionHost {
  readonly app: AppStore;
  say: Say;
  /** Make the client; throws when the engine cannot be reached at all (no bridge, no page address). */
  connect(): StudioClient;
}

export class ConnectionModule implements StudioModule {
  private current: StudioClient | null = null;
  private off: (() => void) | null = null;

  constructor(private readonly host: ConnectionHost) {}

  /** The engine's client; null before the start, after the end, or when it cannot be reached. */
  get client(): StudioClient | null {
    return this.current;
  }

  initialize(): void {
    const { app } = this.host;
    try {
      const client = this.host.connect();
      this.current = client;
      app.setState({ mode: client.mode, connection: client.state });
      this.off = client.onConnection((connection) => {
        app.setState({ connection });
        if (connection === 'open' && app.getState().models.length === 0) void this.loadCatalogues();
      });
    } catch (e) {
      app.setState({ connection: 'unavailable' });
      this.host.say(`The engine cannot be reached: ${errorText(e)}. The canvas still works; generation does not.`, 'error');
    }
  }

  destroy(): void {
    this.off?.();
    this.off = null;
    this.current?.close();
    this.current = null;
  }

  /**
   * List the models and samplers. The user's model and values are kept; a first start (or a model
   * that is gone) takes the first model with the settings its pack recommends.
   */
  async loadCatalogues(): Promise<void> {
    const client = this.current;
    if (!client) return;
    const { app } = this.host;
    try {
      const [models, samplers] = await Promise.all([client.listModels({}), client.listSamplers({})]);
      const s = app.getState().settings;
      const kept = models.some((m) => m.name === s.model);
      const sampler = s.sampler === PACK_SAMPLER || samplers.some((x) => x.name === s.sampler) ? s.sampler : PACK_SAMPLER;
      app.setState({ models, samplers, settings: { ...(kept ? s : withModel(s, models[0])), sampler } });
      if (!models.length) this.host.say('No models are installed: import or download one with `driftline models`.', 'warn');
    } catch (e) {
      this.host.say(`Could not list the models: ${errorText(e)}`, 'error');
    }
  }
}
