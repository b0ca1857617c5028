import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { Rng } from '../rng.js';
import { FAMILY_IDS, FAMILY_TRAITS } from './family.js';
import { FAMILIES, FAMILY_OPTIONS, getFamily, sampleImages } from './index.js';

/** The smallest model of each family. */
const SMALL: Record<(typeof FAMILY_IDS)[number], Record<string, unknown>> = {
  ae: { size: 16, latent: 3, nf: 2 },
  vae: { size: 16, latent: 3, nf: 2 },
  gan: { size: 16, latent: 3, ngf: 2, ndf: 2 },
  cyclegan: { size: 32, ngf: 2, ndf: 2, blocks: 1 },
  cut: { size: 32, ngf: 2, ndf: 2, blocks: 1, patches: 8 },
};

test('every family is registered under its id, with options that resolveConfig accepts', () => {
  for (const id of FAMILY_IDS) {
    const family = getFamily(id);
    assert.equal(family.id, id);
    assert.equal(family.datasets, FAMILY_TRAITS[id].datasets, `${id}: the traits and the family agree on its datasets`);
    // Defaults fill everything; each listed option with its default is accepted as given.
    const defaults = family.resolveConfig({});
    const given = Object.fromEntries(FAMILY_OPTIONS[id].filter((o) => o.default !== null).map((o) => [o.name, o.default]));
    assert.deepEqual(family.resolveConfig(given), defaults);
    for (const name of Object.keys(defaults)) assert.ok(FAMILY_OPTIONS[id].some((o) => o.name === name), `${id}.${name} is not documented`);
  }
  assert.throws(() => getFamily('pix2pix'), (e: unknown) => e instanceof UsageError && /ae, vae, gan, cyclegan, cut/.test(e.message));
});

test('bad options are UsageErrors that name the option and what it accepts', () => {
  const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message);
  assert.throws(() => FAMILIES.ae.resolveConfig({ size: 48 }), usage(/ae option size must be a power of two from 16 to 1024; got 48/));
  assert.throws(() => FAMILIES.vae.resolveConfig({ sizee: 64 }), usage(/vae has no option "sizee"; it takes: size, latent/));
  assert.throws(() => FAMILIES.vae.resolveConfig({ loss: 'l3' }), usage(/must be one of l1, l2/));
  assert.throws(() => FAMILIES.gan.resolveConfig({ k: 0 }), usage(/gan option k must be a whole number from 1 to 100; got 0/));
  assert.throws(() => FAMILIES.gan.resolveConfig({ lr: 'fast' }), usage(/gan option lr must be a number greater than 0, at most 1; got "fast"/));
  assert.throws(() => FAMILIES.cyclegan.resolveConfig({ size: 30 }), usage(/cyclegan option size must be a multiple of 4 from 32 to 4096; got 30/));
  assert.throws(() => FAMILIES.cyclegan.resolveConfig({ preset: 'huge' }), usage(/light, standard/));
  assert.throws(() => FAMILIES.cyclegan.resolveConfig({ lambdaIdentity: -1 }), usage(/lambdaIdentity must be a number from 0 to 100; got -1/));
  // CLI strings and kebab-case flags are accepted; undefined means "not given".
  const config = FAMILIES.cyclegan.resolveConfig({ size: '64', 'lambda-identity': '0', 'pool-size': 0, ngf: undefined });
  assert.deepEqual([config.size, config.lambdaIdentity, config.poolSize, config.ngf], [64, 0, 0, 32]);
});

test('sampleImages draws from the prior of vae and gan models and refuses the others, as their traits say', async () => {
  await tf.setBackend('cpu');
  for (const id of FAMILY_IDS) {
    const family = FAMILIES[id];
    const small = SMALL[id];
    const model = family.create(family.resolveConfig(small), new Rng(1));
    // The traits the CLI and the studio decide by (without loading tfjs) are what the model can do.
    assert.equal(typeof model.sample === 'function', FAMILY_TRAITS[id].samples, `${id}: the samples trait`);
    const { exportPart, directions } = FAMILY_TRAITS[id];
    assert.ok(model.exportParts().some((p) => p.part === exportPart && p.direction === directions[0]), `${id} exports its default part ${exportPart}`);
    if (id === 'vae' || id === 'gan') {
      const images = sampleImages(model, 3, new Rng(2));
      assert.deepEqual(images.shape, [3, 16, 16, 3]);
      images.dispose();
      assert.throws(() => sampleImages(model, 0, new Rng(2)), UsageError);
    } else {
      assert.throws(() => sampleImages(model, 3, new Rng(2)), (e: unknown) => e instanceof UsageError && /vae and gan/.test(e.message));
    }
    model.dispose();
  }
});

test('creating, checkpointing into and disposing a model of any family frees every tensor and byte it made', async () => {
  await tf.setBackend('cpu');
  for (const id of FAMILY_IDS) {
    const family = FAMILIES[id];
    const small = SMALL[id];
    const before = tf.memory();
    // The studio and the exporter open many models in one process: a model must leave nothing behind.
    const model = family.create(family.resolveConfig(small), new Rng(1));
    const twin = family.create(family.resolveConfig(small), new Rng(2));
    twin.setState(model.getState());
    model.dispose();
    twin.dispose();
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, `${id}: tensors left behind`);
    assert.equal(after.numBytes, before.numBytes, `${id}: bytes left behind`);
  }
});
