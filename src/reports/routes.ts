import { createRouter } from '../http/router';

export const reportRoutes = createRouter();
