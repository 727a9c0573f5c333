import { createApp } from 'vue';
import '@job-status/elements/all';
import App from './App.vue';

createApp(App).mount('#app');
