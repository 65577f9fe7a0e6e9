/** The Portal dialect with its operations (the next operations join here, a router per module). */
import { assetRoutes } from './assets';
import { authRoutes } from './auth';
import { companyRoutes } from './companies';
import { portal } from './dialect';
import { dashboardRoutes } from './dashboard';
import { fileRoutes } from './files';
import { projectRoutes } from './projects';
import { reportRoutes } from './reports';
import { sphereRoutes } from './spheres';
import { projectUserRoutes } from './project-users';

portal.add(authRoutes, companyRoutes, projectRoutes, projectUserRoutes, assetRoutes, fileRoutes, sphereRoutes, reportRoutes, dashboardRoutes);

export { portal };
