// Renderer entry: one AppState over the transport, mounted into #app.
import { mount } from 'svelte';
import App from './App.svelte';
import { AppState } from './lib/app.svelte.js';
import './app.css';

const app = new AppState();
mount(App, { target: document.getElementById('app')!, props: { app } });
void app.start();
