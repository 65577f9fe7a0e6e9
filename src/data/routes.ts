import { createRouter } from '../http/router';

export const dataRoutes = createRouter();
