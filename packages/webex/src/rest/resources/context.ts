/** What a resource needs from the client: JSON calls, list calls, raw requests. */
import { Paginated } from '../paginate.js';
import type { Pipeline, PipelineResponse, RequestSpec } from '../pipeline.js';

export class ResourceContext {
  constructor(readonly pipeline: Pipeline) {}

  async json<T>(spec: RequestSpec): Promise<T> {
    return (await this.pipeline.json<T>(spec)).data;
  }

  /** A call whose answer has no body worth reading (DELETE → 204). */
  async empty(spec: RequestSpec): Promise<void> {
    await this.pipeline.request(spec);
  }

  list<T>(spec: RequestSpec): Paginated<T> {
    return new Paginated<T>(this.pipeline, spec);
  }

  raw(spec: RequestSpec): Promise<PipelineResponse> {
    return this.pipeline.request(spec);
  }
}
