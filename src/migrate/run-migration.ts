/**
 * `migrate`'s procedure against the API server. Every step first looks at what is already there, so a re-run
 * after an interruption (Ctrl-C, a lost connection, a failed copy) resumes where the last one stopped. The old
 * volume is never deleted: it is set to reclaim policy Retain before anything else happens.
 */
import { podClaimsFact } from '../cluster/facts/object-facts.js';
import { asArray, asObject, asString } from '../kube/json-value.js';
import {
  MIGRATION, claimTemplate, copyClaim, copyJob, finalClaim, migrationNames, parseVerification, preBindPatch, verificationText,
  type ClaimTemplate, type CopyVerification, type MigrationNames,
} from './migration-objects.js';

type Json = Record<string, unknown>;

/** The calls `migrate` makes; a 404 is `undefined` for get and success for delete. */
export interface MigrationApi {
  get(path: string): Promise<Json | undefined>;
  list(path: string): Promise<Json[]>;
  create(path: string, body: Json): Promise<Json>;
  /** A JSON merge patch. */
  patch(path: string, patch: Json): Promise<Json>;
  /** Deletes with propagationPolicy Background (a Job's pods go with it). */
  delete(path: string): Promise<void>;
}

/** What to migrate and how. */
export interface MigrationOptions {
  readonly namespace: string;
  readonly claim: string;
  /** Target StorageClass (default `local-path`). */
  readonly to: string;
  /** Image of the copy Job: any with busybox-compatible sh, find, stat, sha256sum, cmp, awk. */
  readonly image: string;
  /** Node to put the new volume on (the copy Job runs there); the scheduler picks one when absent. */
  readonly node?: string;
  readonly dryRun: boolean;
  /** How long the copy may take. */
  readonly copyTimeoutMs: number;
  /** How long any other wait (a claim to bind, an object to go) may take. */
  readonly stepTimeoutMs: number;
  /** Between two looks at the cluster while waiting. */
  readonly pollMs: number;
}

/** How a run ended (errors are thrown as {@link MigrationError}). */
export type MigrationOutcome =
  | { readonly kind: 'migrated'; readonly volume: string; readonly from: string; readonly verified: string }
  | { readonly kind: 'nothing-to-do'; readonly reason: string }
  | { readonly kind: 'refused'; readonly pods: readonly string[] }
  | { readonly kind: 'planned'; readonly steps: readonly string[] };

/** A migration that cannot go on; the message says what state things are in and what to do. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Runs (or with `dryRun`, plans) the migration; `log` gets one line per step. */
export async function runMigration(api: MigrationApi, options: MigrationOptions, log: (line: string) => void): Promise<MigrationOutcome> {
  return new Migration(api, options, log).run();
}

class Migration {
  private readonly names: MigrationNames;
  private readonly key: string;
  private readonly ns: string;

  constructor(
    private readonly api: MigrationApi,
    private readonly options: MigrationOptions,
    private readonly log: (line: string) => void,
  ) {
    this.names = migrationNames(options.namespace, options.claim);
    this.key = `${options.namespace}/${options.claim}`;
    this.ns = encodeURIComponent(options.namespace);
  }

  async run(): Promise<MigrationOutcome> {
    const { claim: name, to } = this.options;
    const claim = await this.api.get(this.claimPath(name));
    if (claim !== undefined && annotation(claim, MIGRATION.migratedFrom) !== '') {
      if (this.options.dryRun) return { kind: 'planned', steps: [`${this.key} is migrated already; a run would only finish its last steps`] };
      return this.finish(claim);
    }
    const target = await this.targetVolume();
    if (claim === undefined) {
      if (target === undefined) throw new MigrationError(`no PersistentVolumeClaim ${this.key}, and no migration of it in progress`);
      if (this.options.dryRun) return { kind: 'planned', steps: [`resume: bind ${asString(meta(target).name)} to a new claim ${this.key}`] };
      this.log(`resuming: the old claim is gone, the copy is on PV ${asString(meta(target).name)}`);
      return this.rebind(target);
    }

    const spec = asObject(claim.spec);
    const storageClass = asString(spec.storageClassName);
    if (storageClass === to && target === undefined) return { kind: 'nothing-to-do', reason: `${this.key} is on ${to} already` };
    const phase = asString(asObject(claim.status).phase);
    const sourceVolume = asString(spec.volumeName);
    if (phase !== 'Bound' || sourceVolume === '') throw new MigrationError(`${this.key} is ${phase || 'not bound'}: there is no data to move`);
    const users = await this.podsUsing(name);
    if (users.length > 0) return { kind: 'refused', pods: users };
    if (this.options.dryRun) return { kind: 'planned', steps: this.plan(storageClass, sourceVolume, target) };

    this.log(`source: ${this.key} on ${storageClass || '(no class)'}, PV ${sourceVolume}, ${claimTemplate(claim).storage}; no pod uses it`);
    await this.keepOldVolume(sourceVolume);
    const template = claimTemplate(claim);
    let volume = target;
    if (volume === undefined) {
      const verification = await this.copy(template, sourceVolume);
      volume = await this.holdNewVolume(template, sourceVolume, verification);
    } else {
      this.log(`copy: done and verified earlier (${annotation(volume, MIGRATION.verified)}), on PV ${asString(meta(volume).name)}`);
    }
    await this.removeCopyJob();
    await this.deleteAndWait(this.claimPath(this.names.copyClaim), `the copy claim ${this.names.copyClaim}`);
    await this.deleteAndWait(this.claimPath(name), `the old claim ${this.key} (its PV ${sourceVolume} is kept)`);
    return this.rebind(volume);
  }

  /** What a run would do, for `--dry-run`. */
  private plan(storageClass: string, sourceVolume: string, target: Json | undefined): string[] {
    const { to, image, node } = this.options;
    const steps = [
      `set PV ${sourceVolume} (the old volume) to reclaim policy Retain: it is kept whatever happens`,
      ...(target === undefined
        ? [
            `create claim ${this.names.copyClaim} on ${to}${node ? ` on node ${node}` : ''}`,
            `run Job ${this.names.job} (image ${image}): copy ${this.key} (${storageClass || 'no class'}) into it, then compare every path, owner, mode, size and SHA-256`,
            `hold the new PV with reclaim policy Retain and record the copy on it`,
          ]
        : [`the copy is done and verified already on PV ${asString(meta(target).name)}`]),
      `delete Job ${this.names.job} and claim ${this.names.copyClaim}`,
      `delete claim ${this.key} (PV ${sourceVolume} stays, Released)`,
      `create claim ${this.key} on ${to}, bound to the new PV, with the old claim's labels and annotations`,
      `give the new PV its reclaim policy back; mark PV ${sourceVolume} as migrated to ${this.key}`,
    ];
    return steps.map((step, index) => `${index + 1}. ${step}`);
  }

  private async keepOldVolume(volume: string): Promise<void> {
    const pv = await this.required(this.volumePath(volume), `PV ${volume}`);
    if (asString(asObject(pv.spec).persistentVolumeReclaimPolicy) === 'Retain' && annotation(pv, MIGRATION.source) === this.key) return;
    await this.api.patch(this.volumePath(volume), {
      metadata: { annotations: { [MIGRATION.source]: this.key } },
      spec: { persistentVolumeReclaimPolicy: 'Retain' },
    });
    this.log(`kept: PV ${volume} set to reclaim policy Retain`);
  }

  /** Creates the copy claim and Job (again, after a failed Job) and waits for a verified copy. */
  private async copy(template: ClaimTemplate, sourceVolume: string): Promise<CopyVerification> {
    const { names } = this;
    if ((await this.api.get(this.claimPath(names.copyClaim))) === undefined) {
      await this.api.create(this.claimsPath(), copyClaim(names, template, this.options.to, sourceVolume));
      this.log(`created: claim ${names.copyClaim} on ${this.options.to}`);
    }
    let job = await this.api.get(this.jobPath());
    if (job !== undefined && jobState(job) === 'failed') {
      this.log(`the last copy Job failed (${await this.failureOf()}): starting it again`);
      await this.removeCopyJob();
      job = undefined;
    }
    if (job === undefined) {
      await this.api.create(`/apis/batch/v1/namespaces/${this.ns}/jobs`, copyJob(names, this.options.image, this.options.node));
      this.log(`copy Job ${names.job} created: copying, then verifying`);
    } else {
      this.log(`copy Job ${names.job} exists: waiting for it`);
    }
    const state = await this.waitFor(`the copy Job ${names.job}`, this.options.copyTimeoutMs, async () => {
      const current = await this.api.get(this.jobPath());
      const value = current === undefined ? 'gone' : jobState(current);
      return value === 'running' ? undefined : value;
    });
    if (state !== 'succeeded') {
      throw new MigrationError(
        `the copy Job ${names.job} ${state === 'gone' ? 'was deleted' : `failed: ${await this.failureOf()}`}. Nothing was changed but the ` +
          `old PV's reclaim policy (Retain); run migrate again to retry, after fixing the cause.`,
      );
    }
    const message = await this.terminationMessage();
    const verification = parseVerification(message);
    if (verification === undefined) throw new MigrationError(`the copy Job ${names.job} succeeded but reported no verification ("${message.slice(0, 200)}")`);
    this.log(`copied and verified: ${verificationText(verification)}`);
    return verification;
  }

  /** Records the copy on the new PV and holds it with Retain while its claims are swapped. */
  private async holdNewVolume(template: ClaimTemplate, sourceVolume: string, verification: CopyVerification): Promise<Json> {
    const copy = await this.required(this.claimPath(this.names.copyClaim), `claim ${this.names.copyClaim}`);
    const volume = asString(asObject(copy.spec).volumeName);
    if (volume === '') throw new MigrationError(`the copy claim ${this.names.copyClaim} is not bound after a successful copy`);
    const pv = await this.required(this.volumePath(volume), `PV ${volume}`);
    const policy = asString(asObject(pv.spec).persistentVolumeReclaimPolicy) || 'Delete';
    const held = await this.api.patch(this.volumePath(volume), {
      metadata: {
        annotations: {
          [MIGRATION.target]: this.key, [MIGRATION.reclaimPolicy]: policy, [MIGRATION.claim]: JSON.stringify(template),
          [MIGRATION.verified]: verificationText(verification), [MIGRATION.migratedFrom]: sourceVolume,
        },
      },
      spec: { persistentVolumeReclaimPolicy: 'Retain' },
    });
    this.log(`held: new PV ${volume} (${policy} until the claim is bound, Retain meanwhile)`);
    return held;
  }

  /** Binds the new PV to a new claim under the old name, then finishes. */
  private async rebind(volume: Json): Promise<MigrationOutcome> {
    const name = asString(meta(volume).name);
    await this.deleteAndWait(this.claimPath(this.names.copyClaim), `the copy claim ${this.names.copyClaim}`);
    const template = JSON.parse(annotation(volume, MIGRATION.claim) || 'null') as ClaimTemplate | null;
    if (template === null) throw new MigrationError(`PV ${name} carries no ${MIGRATION.claim} annotation: cannot recreate ${this.key}`);
    const claimRef = asObject(asObject(volume.spec).claimRef);
    if (asString(claimRef.name) !== this.options.claim || asString(claimRef.namespace) !== this.options.namespace || asString(claimRef.uid) !== '') {
      await this.api.patch(this.volumePath(name), preBindPatch(this.options.namespace, this.options.claim));
      this.log(`pre-bound: PV ${name} reserved for ${this.key}`);
    }
    const from = annotation(volume, MIGRATION.migratedFrom);
    const claim = await this.api.create(
      this.claimsPath(),
      finalClaim(this.names, template, this.options.to, name, from, annotation(volume, MIGRATION.verified)),
    );
    this.log(`created: claim ${this.key} on ${this.options.to}, bound to PV ${name}`);
    return this.finish(claim);
  }

  /** Waits for the new claim to bind, gives the new PV its reclaim policy back and marks the old PV. */
  private async finish(claim: Json): Promise<MigrationOutcome> {
    const bound = await this.waitFor(`${this.key} to bind`, this.options.stepTimeoutMs, async () => {
      const current = await this.api.get(this.claimPath(this.options.claim));
      return current !== undefined && asString(asObject(current.status).phase) === 'Bound' ? current : undefined;
    });
    const volume = asString(asObject(bound.spec).volumeName);
    const from = annotation(claim, MIGRATION.migratedFrom);
    const pv = await this.required(this.volumePath(volume), `PV ${volume}`);
    const policy = annotation(pv, MIGRATION.reclaimPolicy);
    if (policy !== '') {
      await this.api.patch(this.volumePath(volume), {
        metadata: { annotations: { [MIGRATION.reclaimPolicy]: null, [MIGRATION.claim]: null } },
        spec: { persistentVolumeReclaimPolicy: policy },
      });
      this.log(`bound: ${this.key} -> PV ${volume}; reclaim policy ${policy} again`);
    }
    const old = from === '' ? undefined : await this.api.get(this.volumePath(from));
    if (old !== undefined && annotation(old, MIGRATION.migratedTo) !== this.key) {
      await this.api.patch(this.volumePath(from), { metadata: { annotations: { [MIGRATION.migratedTo]: this.key } } });
    }
    return { kind: 'migrated', volume, from, verified: annotation(bound, MIGRATION.verified) };
  }

  /** The new PV of an earlier, interrupted run, if any. */
  private async targetVolume(): Promise<Json | undefined> {
    const volumes = await this.api.list('/api/v1/persistentvolumes');
    return volumes.find((pv) => annotation(pv, MIGRATION.target) === this.key && annotation(pv, MIGRATION.reclaimPolicy) !== '');
  }

  /** Pods (not finished, not the copy Job's) that mount the claim, as `name (node)`. */
  private async podsUsing(claim: string): Promise<string[]> {
    const pods = await this.api.list(`/api/v1/namespaces/${this.ns}/pods`);
    // Which pods hold the claim is read as the server's gauge and `report` read it (podClaimsFact: running or
    // pending pods that mount it); the copy Job's own pod does not count.
    return pods.flatMap((pod) => {
      const uses = podClaimsFact(pod);
      if (uses === undefined || !uses.claims.includes(claim) || asObject(meta(pod).labels)[MIGRATION.job] === this.names.label) return [];
      return [`${asString(meta(pod).name)} (${uses.node || 'not scheduled'})`];
    });
  }

  private async removeCopyJob(): Promise<void> {
    if ((await this.api.get(this.jobPath())) !== undefined) {
      await this.api.delete(`${this.jobPath()}?propagationPolicy=Background`);
      await this.waitFor(`Job ${this.names.job} to go`, this.options.stepTimeoutMs, async () => ((await this.api.get(this.jobPath())) === undefined ? true : undefined));
    }
    // Its pods mount both claims: the claims cannot go while they exist.
    await this.waitFor(`the copy Job's pods to go`, this.options.stepTimeoutMs, async () => ((await this.jobPods()).length === 0 ? true : undefined));
  }

  private async deleteAndWait(path: string, what: string): Promise<void> {
    if ((await this.api.get(path)) === undefined) return;
    await this.api.delete(path);
    await this.waitFor(`${what} to go`, this.options.stepTimeoutMs, async () => ((await this.api.get(path)) === undefined ? true : undefined));
    this.log(`deleted: ${what}`);
  }

  private async jobPods(): Promise<Json[]> {
    return this.api.list(`/api/v1/namespaces/${this.ns}/pods?labelSelector=${encodeURIComponent(`${MIGRATION.job}=${this.names.label}`)}`);
  }

  private async terminationMessage(): Promise<string> {
    for (const pod of await this.jobPods()) {
      for (const status of asArray(asObject(pod.status).containerStatuses)) {
        const message = asString(asObject(asObject(asObject(status).state).terminated).message);
        if (message !== '') return message.trim();
      }
    }
    return '';
  }

  private async failureOf(): Promise<string> {
    for (const pod of await this.jobPods()) {
      for (const status of asArray(asObject(pod.status).containerStatuses)) {
        const terminated = asObject(asObject(asObject(status).state).terminated);
        if (asString(terminated.reason) !== '') return `${asString(terminated.reason)}, exit ${String(terminated.exitCode)}: ${asString(terminated.message).trim().slice(0, 300) || 'no message'}`;
      }
      const phase = asString(asObject(pod.status).phase);
      if (phase === 'Pending') return 'its pod is Pending (image, scheduling or volume binding: see kubectl describe pod)';
    }
    return 'no pod left to say why';
  }

  private async required(path: string, what: string): Promise<Json> {
    const found = await this.api.get(path);
    if (found === undefined) throw new MigrationError(`${what} not found`);
    return found;
  }

  private async waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new MigrationError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; run migrate again to resume`);
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
    }
  }

  private claimsPath(): string {
    return `/api/v1/namespaces/${this.ns}/persistentvolumeclaims`;
  }

  private claimPath(name: string): string {
    return `${this.claimsPath()}/${encodeURIComponent(name)}`;
  }

  private volumePath(name: string): string {
    return `/api/v1/persistentvolumes/${encodeURIComponent(name)}`;
  }

  private jobPath(): string {
    return `/apis/batch/v1/namespaces/${this.ns}/jobs/${this.names.job}`;
  }
}

/** A Job's state from its status counters (batch/v1: succeeded/failed pods). */
function jobState(job: Json): 'running' | 'succeeded' | 'failed' {
  const status = asObject(job.status);
  if (Number(status.succeeded ?? 0) > 0) return 'succeeded';
  if (Number(status.failed ?? 0) > 0) return 'failed';
  return 'running';
}


function meta(object: Json): Json {
  return asObject(object.metadata);
}



function annotation(object: Json, key: string): string {
  return asString(asObject(meta(object).annotations)[key]);
}
