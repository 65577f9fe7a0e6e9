import { createRouter } from '../http/router';

export const sphereRoutes = createRouter();
